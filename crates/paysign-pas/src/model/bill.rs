//! Bill download info (spec §4.8, §4.9); the file itself is parsed by [`crate::bill`].

use serde::{Deserialize, Serialize};

use super::common::{BillDownloadParam, ResponseEnvelope};

/// The answer of trade-bill and settle-bill download info. `billDownloadParam` is absent when
/// no bill was generated for that date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillDownloadInfoResponse {
    #[serde(flatten)]
    pub envelope: ResponseEnvelope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_download_param: Option<BillDownloadParam>,
}
