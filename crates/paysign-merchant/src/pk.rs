//! Payment Kit as this server uses it: one [`PaymentKit`] per merchant identity, over
//! `paysign_pas::PasClient`, for the configured model (direct merchant or service provider),
//! with every call's latency in the metrics and answers reduced to what the server decides on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use paysign_pas::bill::{SettleBillRow, TradeBillRow};
use paysign_pas::codes::SubCode;
use paysign_pas::model::{
    ContractInfo, OrderStatus, PartnerPrepayRequest, PartnerUnsignRequest, PartnerWithholdRequest,
    PrepayOrder, PrepayRequest, RefundRequest, RefundStatus, SignStatus, UnsignRequest,
    WithholdOrder, WithholdRequest,
};
use paysign_pas::{
    ClientConfig, MerchantModel, MerchantSigner, OrderStrBuilder, PasClient, PasError,
    PrepayChannel,
};

use crate::config::{Model, Settings};
use crate::metrics::Metrics;
use crate::time;

/// What the server needs to pre-order one pay-and-sign order.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub merc_order_no: &'a str,
    pub merc_contract_code: &'a str,
    pub trade_summary: String,
    pub amount_fen: i64,
    pub expire_ms: i64,
}

/// A payment order as Payment Kit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentLookup {
    Paid {
        sys_trans_order_no: Option<String>,
        amount_fen: i64,
        currency: String,
        finish_time: Option<String>,
    },
    Failed,
    Processing,
    /// Payment Kit does not know the order (no payment was ever started).
    Unknown,
}

/// A contract as Payment Kit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractLookup {
    Signed {
        contract_id: String,
        signed_time: Option<String>,
    },
    Unsigned {
        contract_id: Option<String>,
    },
    /// Not a signed contract (never signed yet).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundLookup {
    Success { sys_refund_order_no: Option<String> },
    Failed,
    Processing,
    Unknown,
}

/// Accepted, or not.
#[derive(Debug)]
pub enum WriteOutcome<T> {
    Accepted(T),
    /// Payment Kit refused it: nothing happened.
    Refused(PasError),
    /// The answer was lost: it may or may not have happened; query before acting.
    Unknown(PasError),
}

/// The merchant's side of Payment Kit.
#[derive(Clone)]
pub struct PaymentKit {
    client: PasClient,
    orderstr: OrderStrBuilder,
    settings: Arc<Settings>,
    metrics: Metrics,
}

impl std::fmt::Debug for PaymentKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentKit").finish_non_exhaustive()
    }
}

impl PaymentKit {
    pub fn new(settings: Arc<Settings>, metrics: Metrics) -> Result<PaymentKit, PasError> {
        let c = &settings.config;
        let model = match c.merchant.model {
            Model::Direct => MerchantModel::Direct,
            Model::ServiceProvider => MerchantModel::ServiceProvider,
        };
        let signer = MerchantSigner::new(
            c.merchant.merc_no.clone(),
            c.merchant.auth_id.clone(),
            settings.private_key.clone(),
        );
        let mut config = ClientConfig::new(
            c.payment_kit.base_url.clone(),
            model,
            signer.clone(),
            settings.huawei_key.clone(),
        );
        config.request_timeout = Duration::from_millis(c.payment_kit.request_timeout_ms);
        config.bill_hosts = c.payment_kit.bill_host_list().map_err(PasError::Config)?;
        let client = PasClient::new(config)?;
        let orderstr = OrderStrBuilder::new(signer, model).sandbox(c.payment_kit.sandbox_flag);
        Ok(PaymentKit {
            client,
            orderstr,
            settings,
            metrics,
        })
    }

    fn model(&self) -> Model {
        self.settings.config.merchant.model
    }

    /// `{public_base_url}/paysign/callbacks/{kind}`.
    pub fn callback_url(&self, kind: &str) -> String {
        format!(
            "{}/paysign/callbacks/{kind}",
            self.settings.config.public_base_url.trim_end_matches('/')
        )
    }

    async fn timed<T>(
        &self,
        api: &'static str,
        call: impl std::future::Future<Output = Result<T, PasError>>,
    ) -> Result<T, PasError> {
        let started = Instant::now();
        let result = call.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(PasError::Api(_)) => "refused",
            Err(e) if e.outcome_unknown() => "unknown",
            Err(_) => "error",
        };
        self.metrics
            .observe_payment_kit(api, outcome, started.elapsed());
        result
    }

    /// The pay-and-sign pre-order, then the signed orderStr for the app.
    pub async fn prepay(&self, order: &NewOrder<'_>, now_ms: i64) -> Result<String, PasError> {
        let m = &self.settings.config.merchant;
        let body = PrepayOrder {
            merc_order_no: order.merc_order_no.to_owned(),
            trade_summary: order.trade_summary.clone(),
            total_amount: order.amount_fen,
            currency: Some(paysign_pas::limits::CNY.to_owned()),
            goods_detail: None,
            allocation_type: None,
            callback_url: self.callback_url("payment"),
            payload: None,
            expire_time: Some(time::format_iso(order.expire_ms)),
            contract_info: ContractInfo {
                plan_id: m.plan_id.clone(),
                merc_contract_code: order.merc_contract_code.to_owned(),
                callback_url: self.callback_url("contract"),
            },
            payer: None,
        };
        let (response, app_id) = match self.model() {
            Model::Direct => {
                let request = PrepayRequest {
                    app_id: m.app_id.clone(),
                    merc_no: m.merc_no.clone(),
                    order: body,
                };
                let r = self
                    .timed(
                        "prepay",
                        self.client.pas_prepay(&request, PrepayChannel::App),
                    )
                    .await?;
                (r, Some(m.app_id.as_str()))
            }
            Model::ServiceProvider => {
                let request = PartnerPrepayRequest {
                    sp_app_id: m.app_id.clone(),
                    sp_merc_no: m.merc_no.clone(),
                    sub_app_id: m.sub_app_id.clone(),
                    sub_merc_no: m.sub_merc_no.clone().unwrap_or_default(),
                    order: body,
                };
                let r = self
                    .timed(
                        "prepay",
                        self.client.partner_pas_prepay(&request, PrepayChannel::App),
                    )
                    .await?;
                (r, m.sub_app_id.as_deref())
            }
        };
        self.orderstr.build(app_id, &response.prepay_id, now_ms)
    }

    pub async fn query_order(&self, merc_order_no: &str) -> Result<PaymentLookup, PasError> {
        match self
            .timed("query_order", self.client.query_order(merc_order_no))
            .await
        {
            Ok(r) => Ok(match r.order_status {
                OrderStatus::Success => PaymentLookup::Paid {
                    sys_trans_order_no: r.sys_trans_order_no,
                    amount_fen: r.total_amount,
                    currency: r.currency,
                    finish_time: r.finish_time,
                },
                OrderStatus::Failed => PaymentLookup::Failed,
                _ => PaymentLookup::Processing,
            }),
            Err(PasError::Api(api))
                if matches!(
                    api.sub_code,
                    Some(SubCode::MercOrderNotExist | SubCode::PayOrderNotExist)
                ) =>
            {
                Ok(PaymentLookup::Unknown)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn query_contract(&self, code: &str) -> Result<ContractLookup, PasError> {
        match self
            .timed("query_contract", self.client.query_contract(code))
            .await
        {
            Ok(r) => Ok(match (r.sign_status, r.contract_id) {
                (Some(SignStatus::Signed), Some(contract_id)) => ContractLookup::Signed {
                    contract_id,
                    signed_time: r.signed_time,
                },
                (Some(SignStatus::Unsigned), contract_id) => {
                    ContractLookup::Unsigned { contract_id }
                }
                _ => ContractLookup::Unknown,
            }),
            Err(PasError::Api(api))
                if matches!(
                    api.sub_code,
                    Some(SubCode::CheckContractStatus | SubCode::CustNotExist)
                ) =>
            {
                Ok(ContractLookup::Unknown)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn refund(
        &self,
        merc_order_no: &str,
        merc_refund_order_no: &str,
        amount_fen: i64,
        reason: Option<&str>,
    ) -> WriteOutcome<Option<String>> {
        let request = RefundRequest {
            merc_order_no: Some(merc_order_no.to_owned()),
            sys_trans_order_no: None,
            merc_refund_order_no: merc_refund_order_no.to_owned(),
            reason: reason.map(str::to_owned),
            callback_url: self.callback_url("refund"),
            refund_amount: Some(amount_fen),
            payload: None,
        };
        write_outcome(
            self.timed("refund", self.client.refund(&request))
                .await
                .map(|r| r.sys_refund_order_no),
        )
    }

    pub async fn query_refund(&self, merc_refund_order_no: &str) -> Result<RefundLookup, PasError> {
        match self
            .timed(
                "query_refund",
                self.client.query_refund(merc_refund_order_no),
            )
            .await
        {
            Ok(r) => Ok(match r.refund_order_status {
                RefundStatus::Success => RefundLookup::Success {
                    sys_refund_order_no: r.sys_refund_order_no,
                },
                RefundStatus::Failed => RefundLookup::Failed,
                _ => RefundLookup::Processing,
            }),
            Err(PasError::Api(api))
                if matches!(
                    api.sub_code,
                    Some(SubCode::MercOrderNotExist | SubCode::PayOrderNotExist)
                ) =>
            {
                Ok(RefundLookup::Unknown)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn unsign(&self, contract_id: Option<&str>, code: &str) -> WriteOutcome<()> {
        let m = &self.settings.config.merchant;
        let callback_url = Some(self.callback_url("contract"));
        let result = match self.model() {
            Model::Direct => {
                let request = UnsignRequest {
                    contract_id: contract_id.map(str::to_owned),
                    merc_contract_code: Some(code.to_owned()),
                    merc_no: m.merc_no.clone(),
                    callback_url,
                };
                self.timed("unsign", self.client.unsign(&request)).await
            }
            Model::ServiceProvider => {
                let request = PartnerUnsignRequest {
                    contract_id: contract_id.map(str::to_owned),
                    merc_contract_code: Some(code.to_owned()),
                    sp_merc_no: m.merc_no.clone(),
                    sub_merc_no: m.sub_merc_no.clone().unwrap_or_default(),
                    callback_url,
                };
                self.timed("unsign", self.client.partner_unsign(&request))
                    .await
            }
        };
        write_outcome(result.map(|_| ()))
    }

    /// A withholding debit (免密代扣) against a signed contract: accepted means pending.
    pub async fn withhold(
        &self,
        merc_order_no: &str,
        contract_id: &str,
        amount_fen: i64,
        trade_summary: &str,
    ) -> WriteOutcome<Option<String>> {
        let m = &self.settings.config.merchant;
        let order = WithholdOrder {
            merc_order_no: merc_order_no.to_owned(),
            trade_summary: trade_summary.to_owned(),
            total_amount: amount_fen,
            currency: Some(paysign_pas::limits::CNY.to_owned()),
            allocation_type: None,
            // Debit results come as payment notifications (no contractId in them).
            callback_url: self.callback_url("payment"),
            contract_id: contract_id.to_owned(),
            payload: None,
            expire_time: None,
            payer: None,
        };
        let result = match self.model() {
            Model::Direct => {
                let request = WithholdRequest {
                    app_id: m.app_id.clone(),
                    merc_no: m.merc_no.clone(),
                    order,
                };
                self.timed("withhold", self.client.withhold(&request)).await
            }
            Model::ServiceProvider => {
                let request = PartnerWithholdRequest {
                    app_id: None,
                    sp_merc_no: m.merc_no.clone(),
                    sub_merc_no: m.sub_merc_no.clone().unwrap_or_default(),
                    sp_app_id: Some(m.app_id.clone()),
                    sub_app_id: m.sub_app_id.clone(),
                    order,
                };
                self.timed("withhold", self.client.partner_withhold(&request))
                    .await
            }
        };
        write_outcome(result.map(|r| r.sys_trans_order_no))
    }

    pub async fn trade_bill(&self, bill_date: &str) -> Result<Option<Vec<TradeBillRow>>, PasError> {
        let sub = self.settings.config.merchant.sub_merc_no.as_deref();
        self.timed("trade_bill", self.client.trade_bill(bill_date, sub))
            .await
    }

    pub async fn settle_bill(
        &self,
        bill_date: &str,
    ) -> Result<Option<Vec<SettleBillRow>>, PasError> {
        let sub = self.settings.config.merchant.sub_merc_no.as_deref();
        self.timed("settle_bill", self.client.settle_bill(bill_date, sub))
            .await
    }
}

fn write_outcome<T>(result: Result<T, PasError>) -> WriteOutcome<T> {
    match result {
        Ok(v) => WriteOutcome::Accepted(v),
        Err(e) if e.outcome_unknown() => WriteOutcome::Unknown(e),
        Err(e @ PasError::InvalidResponse(_)) | Err(e @ PasError::ResponseSignature(_)) => {
            // An answer came but cannot be trusted or read: it may have been processed.
            WriteOutcome::Unknown(e)
        }
        Err(e) => WriteOutcome::Refused(e),
    }
}

/// The sub code of a refused call, if Payment Kit gave one.
pub fn sub_code(e: &PasError) -> Option<&SubCode> {
    e.api().and_then(|a| a.sub_code.as_ref())
}
