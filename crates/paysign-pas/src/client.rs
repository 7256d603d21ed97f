//! The async Payment Kit client: signs every request with PayMercAuth, sends it over reqwest with
//! rustls, retries a bounded number of times (a fresh traceId each time: a reused one is
//! `INVALID_DUPLICATE_REQUEST`), and verifies every answer's signature with Huawei's public key
//! (on by default). Answers larger than [`MAX_RESPONSE_BYTES`] are refused.
//!
//! Retries depend on what the call does:
//! - reads (queries, bill info, GET): any transport error and `CALL_FREQUENCY_LIMITED`;
//! - writes (pre-order, refund, unsign, withholding debit, any POST): only when the request surely
//!   did not reach Payment Kit — a connect error, or `CALL_FREQUENCY_LIMITED`. A write whose
//!   request was sent but whose answer is missing (timeout, reset, HTTP error without an answer,
//!   malformed or untrusted answer), or whose retry is answered "already processed"
//!   ([`crate::codes::SubCode::is_duplicate`]), ends in [`PasError::OutcomeUnknown`].
//!
//! One client speaks for one merchant identity and model: a direct merchant (callerId = mercNo)
//! or a service provider (callerId = spMercNo).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paysign_crypto::PublicKey;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::{HttpMethod, MerchantSigner};
use crate::bill::{self, BillError, SettleBillRow, TradeBillRow};
use crate::endpoints::{self, BillKind, MerchantModel, PrepayChannel};
use crate::error::PasError;
use crate::hosts::HostAllowList;
use crate::limits;
use crate::model::common::BillDownloadParam;
use crate::model::{
    BillDownloadInfoResponse, PartnerPrepayRequest, PartnerUnsignRequest, PartnerWithholdRequest,
    PrepayRequest, PrepayResponse, QueryContractResponse, QueryOrderResponse, QueryRefundResponse,
    RefundRequest, RefundResponse, UnsignRequest, UnsignResponse, WithholdRequest,
    WithholdResponse,
};
use crate::response;

/// Largest bill zip the client downloads.
pub const MAX_BILL_ZIP_BYTES: usize = 256 * 1024 * 1024;

/// Largest API answer the client reads. Documented answers are a few KiB; the cap bounds what a
/// broken or hostile peer can make the client buffer before the signature check.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// How the client connects and what it checks.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host[:port]` (production, Huawei's sandbox) or `http://127.0.0.1:port` (a local
    /// sandbox); no path.
    pub base_url: String,
    pub model: MerchantModel,
    pub signer: MerchantSigner,
    /// Huawei's (or the local sandbox's) SM2 public key, for answer signatures.
    pub huawei_public_key: Option<PublicKey>,
    /// Verify every answer's `sign` (default true; needs `huawei_public_key`).
    pub verify_responses: bool,
    /// TCP + TLS connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout of an API call, per attempt (default 15 s).
    pub request_timeout: Duration,
    /// Whole-request timeout of a bill download, per attempt (default 120 s: bills can be large).
    pub download_timeout: Duration,
    /// Extra attempts after a transport error or a frequency limit (default 2); writes only after
    /// connect errors and frequency limits (see the module documentation).
    pub max_retries: u32,
    /// Wait before the first retry; doubled each time (default 200 ms).
    pub retry_backoff: Duration,
    /// The hosts a bill download URL and each of its redirects may name (default: Payment Kit's
    /// bill storage, [`crate::infer::BILL_STORAGE_HOSTS`]; a local sandbox needs
    /// [`HostAllowList::loopback`]).
    pub bill_hosts: HostAllowList,
}

impl ClientConfig {
    /// Defaults: verification on, 5 s connect, 15 s per attempt, 2 retries from 200 ms.
    pub fn new(
        base_url: impl Into<String>,
        model: MerchantModel,
        signer: MerchantSigner,
        huawei_public_key: PublicKey,
    ) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            model,
            signer,
            huawei_public_key: Some(huawei_public_key),
            verify_responses: true,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            download_timeout: Duration::from_secs(120),
            max_retries: 2,
            retry_backoff: Duration::from_millis(200),
            bill_hosts: HostAllowList::payment_kit_bill_storage(),
        }
    }
}

/// The Payment Kit server API client.
#[derive(Debug, Clone)]
pub struct PasClient {
    http: reqwest::Client,
    /// Bill downloads only: its redirect policy also checks [`ClientConfig::bill_hosts`].
    download_http: reqwest::Client,
    base_url: String,
    config: ClientConfig,
}

impl PasClient {
    pub fn new(config: ClientConfig) -> Result<Self, PasError> {
        let base_url = check_base_url(&config.base_url)?;
        if config.verify_responses && config.huawei_public_key.is_none() {
            return Err(PasError::Config(
                "verifying answers needs Huawei's public key".to_owned(),
            ));
        }
        if config.signer.caller_id.trim().is_empty() || config.signer.auth_id.trim().is_empty() {
            return Err(PasError::Config(
                "callerId and authId are required".to_owned(),
            ));
        }
        // Timeouts are set per request: API calls and bill downloads have different budgets.
        let http = http_client(&config, |_| Ok(()))?;
        let hosts = config.bill_hosts.clone();
        let download_http = http_client(&config, move |next| {
            if hosts.allows(next) {
                Ok(())
            } else {
                Err(format!(
                    "redirect refused: host {:?} is not on the bill storage allow-list",
                    next.host_str().unwrap_or_default()
                ))
            }
        })?;
        Ok(PasClient {
            http,
            download_http,
            base_url,
            config,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn require(&self, model: MerchantModel, api: &str) -> Result<(), PasError> {
        if self.config.model == model {
            Ok(())
        } else {
            Err(PasError::Config(format!(
                "{api} is a {model:?} API; this client is configured for {:?}",
                self.config.model
            )))
        }
    }

    /// Direct merchant pay-and-sign pre-order.
    pub async fn pas_prepay(
        &self,
        request: &PrepayRequest,
        channel: PrepayChannel,
    ) -> Result<PrepayResponse, PasError> {
        self.require(MerchantModel::Direct, "pas_prepay")?;
        request.validate()?;
        self.post(endpoints::prepay(MerchantModel::Direct, channel), request)
            .await
    }

    /// Service-provider pay-and-sign pre-order.
    pub async fn partner_pas_prepay(
        &self,
        request: &PartnerPrepayRequest,
        channel: PrepayChannel,
    ) -> Result<PrepayResponse, PasError> {
        self.require(MerchantModel::ServiceProvider, "partner_pas_prepay")?;
        request.validate()?;
        self.post(
            endpoints::prepay(MerchantModel::ServiceProvider, channel),
            request,
        )
        .await
    }

    /// Query a payment order by mercOrderNo. `resultCode 000000` only says the query worked:
    /// read `order_status`.
    pub async fn query_order(&self, merc_order_no: &str) -> Result<QueryOrderResponse, PasError> {
        let path = endpoints::query_order(self.config.model, merc_order_no)?;
        self.get(&path).await
    }

    /// Apply for a refund (same body for both models).
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundResponse, PasError> {
        request.validate()?;
        self.post(endpoints::refund(self.config.model), request)
            .await
    }

    /// Query a refund by mercRefundOrderNo.
    pub async fn query_refund(
        &self,
        merc_refund_order_no: &str,
    ) -> Result<QueryRefundResponse, PasError> {
        let path = endpoints::query_refund(self.config.model, merc_refund_order_no)?;
        self.get(&path).await
    }

    /// Query a contract by mercContractCode.
    pub async fn query_contract(
        &self,
        merc_contract_code: &str,
    ) -> Result<QueryContractResponse, PasError> {
        let path = endpoints::query_contract(self.config.model, merc_contract_code)?;
        self.get(&path).await
    }

    /// Direct merchant withholding debit (免密代扣, spec §4.13). Success means **accepted**: the
    /// result arrives by notification ([`crate::callback::parse_withhold`]) or by
    /// [`PasClient::query_order`] with the same mercOrderNo. Retry an unknown outcome only with
    /// the same mercOrderNo.
    pub async fn withhold(&self, request: &WithholdRequest) -> Result<WithholdResponse, PasError> {
        self.require(MerchantModel::Direct, "withhold")?;
        request.validate()?;
        self.post(endpoints::DIRECT_WITHHOLD, request).await
    }

    /// Service-provider withholding debit; see [`PasClient::withhold`].
    pub async fn partner_withhold(
        &self,
        request: &PartnerWithholdRequest,
    ) -> Result<WithholdResponse, PasError> {
        self.require(MerchantModel::ServiceProvider, "partner_withhold")?;
        request.validate()?;
        self.post(endpoints::SP_WITHHOLD, request).await
    }

    /// Direct merchant unsign.
    pub async fn unsign(&self, request: &UnsignRequest) -> Result<UnsignResponse, PasError> {
        self.require(MerchantModel::Direct, "unsign")?;
        request.validate()?;
        self.post(endpoints::DIRECT_UNSIGN, request).await
    }

    /// Service-provider unsign.
    pub async fn partner_unsign(
        &self,
        request: &PartnerUnsignRequest,
    ) -> Result<UnsignResponse, PasError> {
        self.require(MerchantModel::ServiceProvider, "partner_unsign")?;
        request.validate()?;
        self.post(endpoints::SP_UNSIGN, request).await
    }

    /// A bill's download info (`billDate` = `yyyyMMdd`; `sub_merc_no` narrows an SP bill).
    pub async fn bill_download_info(
        &self,
        kind: BillKind,
        bill_date: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<BillDownloadInfoResponse, PasError> {
        let path = endpoints::bill(self.config.model, kind, bill_date, sub_merc_no)?;
        self.get(&path).await
    }

    /// Downloads a bill zip with exactly the method and headers Payment Kit gave.
    pub async fn download_bill(&self, param: &BillDownloadParam) -> Result<Vec<u8>, PasError> {
        let url = check_download_url(&param.download_url)?;
        if !self.config.bill_hosts.allows(&url) {
            return Err(PasError::Bill(BillError::HostNotAllowed(
                url.host_str().unwrap_or_default().to_owned(),
            )));
        }
        let method =
            reqwest::Method::from_bytes(param.method.trim().to_ascii_uppercase().as_bytes())
                .map_err(|_| {
                    BillError::Download(format!("unsupported method {:?}", param.method))
                })?;
        let mut attempt = 0u32;
        loop {
            let mut request = self
                .download_http
                .request(method.clone(), url.clone())
                .timeout(self.config.download_timeout);
            for (name, value) in &param.headers {
                // Host, Connection and Content-Length follow from the URL and the transport.
                if ["host", "connection", "content-length"]
                    .contains(&name.to_ascii_lowercase().as_str())
                {
                    continue;
                }
                request = request.header(name.as_str(), value.as_str());
            }
            let result = async {
                let mut response = request.send().await.map_err(|e| {
                    // A refused redirect is the policy speaking, not the network: not retried.
                    if e.is_redirect() {
                        PasError::Bill(BillError::Redirect(error_text(e.without_url())))
                    } else {
                        transport(e)
                    }
                })?;
                let status = response.status().as_u16();
                if !(200..300).contains(&status) {
                    return Err(PasError::Bill(BillError::DownloadStatus(status)));
                }
                if response
                    .content_length()
                    .is_some_and(|n| n > MAX_BILL_ZIP_BYTES as u64)
                {
                    return Err(PasError::Bill(BillError::TooLarge));
                }
                let mut data = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(transport)? {
                    if data.len().saturating_add(chunk.len()) > MAX_BILL_ZIP_BYTES {
                        return Err(PasError::Bill(BillError::TooLarge));
                    }
                    data.extend_from_slice(&chunk);
                }
                Ok(data)
            }
            .await;
            match result {
                Err(e @ PasError::Transport { .. }) if attempt < self.config.max_retries => {
                    attempt += 1;
                    tracing::warn!(attempt, error = %e, "bill download failed; retrying");
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// Trade bill rows of a day; `None` when Payment Kit generated no bill for it.
    pub async fn trade_bill(
        &self,
        bill_date: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<Option<Vec<TradeBillRow>>, PasError> {
        match self
            .bill_zip(BillKind::Trade, bill_date, sub_merc_no)
            .await?
        {
            Some(zip) => Ok(Some(bill::parse_trade_bill_zip(&zip)?)),
            None => Ok(None),
        }
    }

    /// Settle bill rows of a day; `None` when Payment Kit generated no bill for it.
    pub async fn settle_bill(
        &self,
        bill_date: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<Option<Vec<SettleBillRow>>, PasError> {
        match self
            .bill_zip(BillKind::Settle, bill_date, sub_merc_no)
            .await?
        {
            Some(zip) => Ok(Some(bill::parse_settle_bill_zip(&zip)?)),
            None => Ok(None),
        }
    }

    async fn bill_zip(
        &self,
        kind: BillKind,
        bill_date: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<Option<Vec<u8>>, PasError> {
        let info = self
            .bill_download_info(kind, bill_date, sub_merc_no)
            .await?;
        match info.bill_download_param {
            Some(param) => Ok(Some(self.download_bill(&param).await?)),
            None => Ok(None),
        }
    }

    /// Any other Payment Kit API (e.g. one added after this crate), with the same signing,
    /// retries and answer verification: `path_and_query` starts with `/`; `body` is the JSON
    /// body for POST and ignored for GET.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        body: &str,
    ) -> Result<T, PasError> {
        if !path_and_query.starts_with('/') || path_and_query.contains("://") {
            return Err(crate::error::FieldError::new(
                "path",
                "must start with / and name no host",
            )
            .into());
        }
        let body = match method {
            HttpMethod::Get => String::new(),
            HttpMethod::Post => body.to_owned(),
        };
        self.execute(method, path_and_query, body).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, PasError> {
        let body = serde_json::to_string(body).map_err(|e| {
            PasError::InvalidRequest(crate::error::FieldError::new("body", e.to_string()))
        })?;
        self.execute(HttpMethod::Post, path, body).await
    }

    async fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, PasError> {
        self.execute(HttpMethod::Get, path_and_query, String::new())
            .await
    }

    /// Signs, sends, retries (see the module documentation; fresh traceId each time), verifies
    /// and parses. Every POST is a write.
    async fn execute<T: DeserializeOwned>(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        body: String,
    ) -> Result<T, PasError> {
        let url = format!("{}{}", self.base_url, path_and_query);
        let write = method == HttpMethod::Post;
        let mut attempt = 0u32;
        loop {
            let mut result = self.attempt::<T>(method, path_and_query, &url, &body).await;
            if write {
                result = result.map_err(|e| write_outcome(e, attempt > 0));
            }
            match result {
                Err(e) if attempt < self.config.max_retries && retried(&e) => {
                    attempt += 1;
                    tracing::warn!(method = method.as_str(), path = path_and_query, attempt, error = %e, "Payment Kit call failed; retrying");
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        url: &str,
        body: &str,
    ) -> Result<T, PasError> {
        let auth = self
            .config
            .signer
            .pay_merc_auth(method, path_and_query, body, now_ms())?;
        tracing::debug!(method = method.as_str(), path = path_and_query, trace_id = %auth.trace_id, "calling Payment Kit");
        let request = match method {
            HttpMethod::Get => self.http.get(url),
            HttpMethod::Post => self.http.post(url).body(body.to_owned()),
        }
        .timeout(self.config.request_timeout);
        let response = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=UTF-8",
            )
            .header("PayMercAuth", auth.to_header_value()?)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let text = read_capped(response, MAX_RESPONSE_BYTES).await?;
        let key = if self.config.verify_responses {
            self.config.huawei_public_key.as_ref()
        } else {
            None
        };
        response::check(&text, status, key)?;
        serde_json::from_str(&text).map_err(|e| PasError::InvalidResponse(e.to_string()))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.config
            .retry_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(10))
    }
}

/// Whether an attempt's error is retried. A write's errors arrive here through
/// [`write_outcome`], so its only transport errors left are connect errors.
fn retried(error: &PasError) -> bool {
    match error {
        PasError::Transport { .. } => true,
        PasError::Api(api) => api.is_frequency_limited(),
        _ => false,
    }
}

/// What a write's failed attempt means: anything that may have been processed becomes
/// [`PasError::OutcomeUnknown`]; so does an "already processed" answer to a retry.
fn write_outcome(error: PasError, is_retry: bool) -> PasError {
    let unknown = match &error {
        PasError::Transport { connect, .. } => !connect,
        PasError::HttpStatus { .. }
        | PasError::InvalidResponse(_)
        | PasError::ResponseSignature(_) => true,
        PasError::Api(api) => is_retry && api.sub_code.as_ref().is_some_and(|s| s.is_duplicate()),
        _ => false,
    };
    if unknown {
        PasError::OutcomeUnknown {
            cause: Box::new(error),
        }
    } else {
        error
    }
}

/// The answer's body as text, refused past `cap` bytes (read in chunks, so a large answer is
/// never buffered whole).
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<String, PasError> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(too_large(cap));
    }
    let mut data = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if data.len().saturating_add(chunk.len()) > cap {
            return Err(too_large(cap));
        }
        data.extend_from_slice(&chunk);
    }
    String::from_utf8(data)
        .map_err(|_| PasError::InvalidResponse("the answer is not UTF-8".to_owned()))
}

fn too_large(cap: usize) -> PasError {
    PasError::InvalidResponse(format!("the answer is larger than {cap} bytes"))
}

fn transport(e: reqwest::Error) -> PasError {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    // Without the URL: it can carry order numbers, and the caller knows what it called.
    PasError::Transport {
        message: error_text(e.without_url()),
        timeout,
        connect,
    }
}

/// An error and its causes on one line.
fn error_text(e: reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The client of API calls or of bill downloads: redirects are bounded and kept to the first
/// URL's rule ([`redirect_allowed`]), and each hop must also pass `also`.
fn http_client(
    config: &ClientConfig,
    also: impl Fn(&reqwest::Url) -> Result<(), String> + Send + Sync + 'static,
) -> Result<reqwest::Client, PasError> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("paysign-pas/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let checked = match attempt.previous().first() {
                Some(first) => redirect_allowed(first, attempt.url(), attempt.previous().len())
                    .and_then(|()| also(attempt.url())),
                None => Ok(()),
            };
            match checked {
                Err(why) => attempt.error(why),
                Ok(()) => attempt.follow(),
            }
        }))
        .build()
        .map_err(|e| PasError::Config(format!("HTTP client: {e}")))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `https://host[:port]`, or `http://` to a loopback host; no path, query or credentials.
fn check_base_url(base: &str) -> Result<String, PasError> {
    let url =
        reqwest::Url::parse(base.trim()).map_err(|e| PasError::Config(format!("base URL: {e}")))?;
    check_scheme(&url).map_err(PasError::Config)?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() || !url.username().is_empty() {
        return Err(PasError::Config(
            "base URL must be scheme://host[:port] only".to_owned(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn check_download_url(download_url: &str) -> Result<reqwest::Url, PasError> {
    let url = reqwest::Url::parse(download_url.trim())
        .map_err(|e| BillError::Download(format!("downloadUrl: {e}")))?;
    check_scheme(&url).map_err(BillError::Download)?;
    Ok(url)
}

/// Redirects followed at most; a signed bill URL needs none or one (to the storage's own host).
const MAX_REDIRECTS: usize = 3;

/// Whether a redirect from a request that began at `first` may go on to `next` (`hops` redirects
/// so far). A signed download URL must not become a hop into the merchant's own network: the next
/// URL obeys the rule the first one did (https, or http to loopback), and reaches loopback only
/// when the first URL was loopback too.
fn redirect_allowed(first: &reqwest::Url, next: &reqwest::Url, hops: usize) -> Result<(), String> {
    if hops > MAX_REDIRECTS {
        return Err(format!("more than {MAX_REDIRECTS} redirects"));
    }
    check_scheme(next).map_err(|why| format!("redirect refused: {why}"))?;
    if limits::is_loopback(next) && !limits::is_loopback(first) {
        return Err("redirect refused: from a remote host to this machine".to_owned());
    }
    Ok(())
}

fn check_scheme(url: &reqwest::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if limits::is_loopback(url) => Ok(()),
        other => Err(format!(
            "scheme {other:?} refused: https, or http to 127.0.0.1/localhost only"
        )),
    }
}

#[cfg(test)]
mod redirect_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    #[test]
    fn a_remote_url_may_not_redirect_into_this_machine_or_to_plain_http() {
        let storage = url("https://bills.storage.example/b.zip");
        for next in [
            "http://127.0.0.1:8080/admin",
            "https://127.0.0.1/admin",
            "http://localhost/",
            "http://[::1]/",
            "http://10.0.0.7/internal",
            "http://bills.storage.example/b.zip",
            "ftp://bills.storage.example/b.zip",
            "file:///etc/passwd",
        ] {
            assert!(redirect_allowed(&storage, &url(next), 1).is_err(), "{next}");
        }
        assert!(redirect_allowed(&storage, &url("https://cdn.storage.example/b.zip"), 1).is_ok());
    }

    #[test]
    fn loopback_may_redirect_on_loopback_and_hops_are_bounded() {
        let sandbox = url("http://127.0.0.1:8787/obs/b.zip");
        assert!(redirect_allowed(&sandbox, &url("http://127.0.0.1:8787/obs/c.zip"), 1).is_ok());
        assert!(redirect_allowed(&sandbox, &url("http://10.0.0.7/"), 1).is_err());
        assert!(redirect_allowed(&sandbox, &url("http://127.0.0.1:8787/x"), MAX_REDIRECTS).is_ok());
        assert!(
            redirect_allowed(&sandbox, &url("http://127.0.0.1:8787/x"), MAX_REDIRECTS + 1).is_err()
        );
    }
}
