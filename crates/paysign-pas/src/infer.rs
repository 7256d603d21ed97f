//! Every protocol choice of this crate that the Payment Kit documentation leaves open (`[INFER]`
//! in the spec), one note each, so that checking one against Huawei's SDK is a one-line change.
//!
//! Elsewhere: undocumented **paths** are marked `[INFER]` in [`crate::endpoints`]; the canonical
//! string rules (nested objects, lists, duplicate keys, SM2 ID) are decided in
//! `paysign_crypto::rules`.
//!
//! 1. **headerSign covers bodySign.** headerSign signs "all PayMercAuth fields except headerSign",
//!    sorted and joined like a body: `authId=…&bodySign=…&callerId=…[&sessionKey=…]&time=…&traceId=…`.
//!    So bodySign is computed first. [`HEADER_SIGN_FIELD`].
//! 2. **Response signatures.** Every synchronous answer is verified like a callback: Huawei's SM2
//!    key over the canonical string of every field but `sign`. An answer with `resultCode 000000`
//!    and no `sign` is refused; an *error* answer without `sign` is accepted as an error (gateways
//!    answer auth failures before any signing; trusting a forged error cannot move money).
//!    [`ERROR_RESPONSES_MAY_BE_UNSIGNED`].
//! 3. **orderStr `reserved`.** Included only for sandbox orders, as the JSON string
//!    [`SANDBOX_RESERVED`], and signed like any other field (it is "every field but sign").
//! 4. **Service-provider orderStr.** `merc_no` is the SP merchant number (the one that obtained
//!    the prepay_id) and `app_id` is the sub-merchant's AppID (`subAppId` of the pre-order), left
//!    out when the pre-order had none.
//! 5. **orderStr timestamp.** Milliseconds since the Unix epoch (13 digits); "Beijing time" in the
//!    docs changes nothing for an epoch count.
//! 6. **traceId.** 13-digit millisecond time + 19 random hex digits = 32 characters; a new one on
//!    every attempt, retries included.
//! 7. **Clock window** for PayMercAuth.time on the server side: [`AUTH_TIME_WINDOW_MS`].
//! 8. **Callbacks without `signType`** are verified with SM2 like the rest; a `signType` other than
//!    `SM2` is refused.
//! 9. **SP query refund by mercRefundOrderNo**, **SP settle bill** paths: see [`crate::endpoints`].
//! 10. **SP query contract** answers are assumed to carry spMercNo/subMercNo like SP query order.
//! 11. **GET queries carry only the documented parameters** (path values, `billDate`,
//!     `subMercNo`). The `?mercNo=…&sdkVersion=1.0.0` in the docs' GET signing example is taken
//!     to be pay-java's own addition; the query APIs' pages list no such parameter.
//! 12. **SP withholding `appId`** is optional (the page lists `appId` as required next to the SP
//!     fields `spMercNo`/`subMercNo` and optional `spAppId`/`subAppId`; an SP may have no app).
//!     The SP debit is queried like an SP payment order.
//! 13. **Which answers mean "maybe done already"** on a write's retry (reported as outcome
//!     unknown, never as a plain failure): `CHECK_ORDER_STATUS`, `CHECK_TRANSACTION_ORDER_STATUS`,
//!     `ORDER_CONCURRENT_ERROR` and `INVALID_DUPLICATE_REQUEST` ([`crate::codes::SubCode::is_duplicate`]).
//! 14. **Bill storage hosts.** A bill's `downloadUrl` points at Huawei Cloud OBS (the download
//!     headers are OBS's S3-style `x-amz-*` set, spec §4.8), but no page names the host. The
//!     client's default allow-list is Huawei Cloud's OBS domain, [`BILL_STORAGE_HOSTS`]. Should
//!     Huawei serve bills from another host, the download fails before connecting with
//!     `BillError::HostNotAllowed` naming it, and the merchant adds it to the configured list.

/// The PayMercAuth field left out of headerSign's input.
pub const HEADER_SIGN_FIELD: &str = "headerSign";

/// See note 2.
pub const ERROR_RESPONSES_MAY_BE_UNSIGNED: bool = true;

/// `reserved` of a sandbox orderStr (note 3). The docs' example has a space after the colon;
/// the value is signed verbatim either way.
pub const SANDBOX_RESERVED: &str = r#"{"sandbox_flag":true}"#;

/// ± five minutes (note 7).
pub const AUTH_TIME_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The only signature type Payment Kit uses for callbacks and answers (note 8).
pub const HUAWEI_SIGN_TYPE: &str = "SM2";

/// Where bill downloads may go by default (note 14): OBS endpoints and buckets,
/// `obs.<region>.myhuaweicloud.com` and `<bucket>.obs.<region>.myhuaweicloud.com`.
pub const BILL_STORAGE_HOSTS: &[&str] = &["*.myhuaweicloud.com"];
