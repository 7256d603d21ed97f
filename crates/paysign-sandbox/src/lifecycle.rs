//! Every state change of orders, contracts and refunds, in one place: the merchant API (pre-order,
//! refund, unsign), the operator API acting as the cashier and Payment Kit (pay, sign, fail,
//! expire, finish a refund, user unsign), and the phone-side cashier (`cashier`) all call these.
//! Each change runs in one SQLite transaction, appends its event, and publishes it once committed.

use std::sync::Arc;

use rand::RngExt;
use rusqlite::Connection;

use crate::clock::{self, Clock};
use crate::events::{EventBus, EventKind, SandboxEvent};
use crate::merchants::{Merchant, MerchantModel};
use paysign_pas::codes::SubCode;
use paysign_pas::endpoints::PrepayChannel;
use paysign_pas::model::{AllocationType, PrepayOrder, RefundRequest};

use crate::rejection::Rejection;
use crate::rules;
use crate::store::{
    self, Contract, ContractStatus, Order, OrderStatus, Refund, RefundStatus, Store, StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// A merchant request the Payment Kit rules refuse.
    #[error("{0}")]
    Rejected(Rejection),
    /// An operator action on something that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An operator action the current state does not allow.
    #[error("not allowed: {0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Rejection> for LifecycleError {
    fn from(r: Rejection) -> Self {
        Self::Rejected(r)
    }
}

type Result<T> = std::result::Result<T, LifecycleError>;

/// Who a pre-order is for: the direct merchant itself, or a service provider's sub-merchant.
#[derive(Debug, Clone)]
pub struct PrepayParty {
    /// `mercNo` (direct) or `spMercNo` (service provider) as sent in the body.
    pub merc_no: String,
    /// `appId` or `spAppId`.
    pub app_id: String,
    pub sub_merc_no: Option<String>,
    pub sub_app_id: Option<String>,
}

/// An unsign request of either model, as sent.
#[derive(Debug, Clone)]
pub struct UnsignRequest {
    pub contract_id: Option<String>,
    pub merc_contract_code: Option<String>,
    /// `mercNo` (direct) or `spMercNo`.
    pub merc_no: String,
    pub sub_merc_no: Option<String>,
    pub callback_url: Option<String>,
}

/// How a contract ended (`changeMode` of the unsign notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsignMode {
    Merchant,
    User,
    Platform,
}

impl UnsignMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merchant => "MERC_API_UNSIGN",
            Self::User => "USER_UNSIGN",
            Self::Platform => "PLATFORM_UNSIGN",
        }
    }
}

fn digits(prefix: &str, n: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    for _ in 0..n {
        let d: u8 = rng.random_range(0..10);
        s.push(char::from(b'0' + d));
    }
    s
}

pub struct Lifecycle {
    store: Arc<Store>,
    clock: Arc<Clock>,
    bus: EventBus,
}

struct Pending(Vec<SandboxEvent>);

impl Pending {
    fn emit(
        &mut self,
        c: &Connection,
        now: i64,
        kind: EventKind,
        merc_no: &str,
        key: &str,
    ) -> Result<()> {
        let seq = store::append_event(c, now, kind.as_str(), merc_no, key)?;
        self.0.push(SandboxEvent {
            seq,
            at_ms: now,
            kind,
            merc_no: merc_no.to_owned(),
            key: key.to_owned(),
        });
        Ok(())
    }
}

impl Lifecycle {
    pub fn new(store: Arc<Store>, clock: Arc<Clock>, bus: EventBus) -> Self {
        Self { store, clock, bus }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Runs a change in a transaction and publishes its events once committed.
    fn change<T>(&self, f: impl FnOnce(&Connection, i64, &mut Pending) -> Result<T>) -> Result<T> {
        let now = self.clock.now_ms();
        let mut pending = Pending(Vec::new());
        let out = self.store.transaction(|tx| f(tx, now, &mut pending))?;
        self.bus.publish(pending.0);
        Ok(out)
    }

    // ---------------------------------------------------------------- merchant API

    /// Pay-and-sign pre-order. Field shapes were checked with paysign-pas's `validate()`; here:
    /// the merchant's bindings (mercNo, appId, sub-merchant, plan), expireTime range, and no
    /// reused mercOrderNo or mercContractCode. Creates the order, its pending contract and a
    /// prepayId valid for 10 minutes.
    pub fn create_order(
        &self,
        caller: &Merchant,
        channel: PrepayChannel,
        party: PrepayParty,
        req: &PrepayOrder,
    ) -> Result<Order> {
        if party.merc_no != caller.merc_no {
            return Err(Rejection::new(
                SubCode::InvalidMercNo,
                "the merchant number in the body is not the caller's",
            )
            .into());
        }
        if !caller.app_ids.contains(&party.app_id) {
            return Err(Rejection::new(
                SubCode::InvalidAppId,
                "the app id is not bound to the merchant",
            )
            .into());
        }
        match caller.model {
            MerchantModel::Direct => {
                if party.sub_merc_no.is_some() {
                    return Err(Rejection::argument("a direct merchant has no sub-merchant").into());
                }
            }
            MerchantModel::Sp => {
                let sub_no = party.sub_merc_no.as_deref().unwrap_or_default();
                let Some(sub) = caller.sub_merchant(sub_no) else {
                    return Err(Rejection::new(
                        SubCode::InvalidSubMercNo,
                        "the sub-merchant does not belong to the service provider",
                    )
                    .into());
                };
                if let Some(sub_app) = party.sub_app_id.as_deref() {
                    if !sub.app_ids.iter().any(|a| a == sub_app) {
                        return Err(Rejection::new(
                            SubCode::InvalidAppId,
                            "the sub app id is not bound to the sub-merchant",
                        )
                        .into());
                    }
                }
            }
        }
        if req.allocation_type == Some(AllocationType::DelayOrderAllocation) {
            return Err(Rejection::new(
                SubCode::NoMatchMatchingProduct,
                "profit sharing is not enabled for sandbox merchants",
            )
            .into());
        }
        if !caller.plan_ids.contains(&req.contract_info.plan_id) {
            return Err(Rejection::new(
                SubCode::NoMatchMatchingProduct,
                "the withholding plan is not enabled for the merchant",
            )
            .into());
        }
        self.change(|c, now, _| {
            let expire_at_ms = match req.expire_time.as_deref() {
                None => now + rules::DEFAULT_ORDER_VALIDITY_MS,
                Some(text) => {
                    let Some(at) = clock::parse_iso(text) else {
                        return Err(Rejection::argument(
                            "expireTime must be yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                        )
                        .into());
                    };
                    if at <= now {
                        return Err(Rejection::argument("expireTime is in the past").into());
                    }
                    if at - now > rules::MAX_ORDER_VALIDITY_MS {
                        return Err(
                            Rejection::argument("expireTime is more than 180 days away").into()
                        );
                    }
                    at
                }
            };
            if store::order(c, &caller.merc_no, &req.merc_order_no)?.is_some()
                || crate::withhold::debit(c, &caller.merc_no, &req.merc_order_no)?.is_some()
            {
                return Err(Rejection::new(
                    SubCode::CheckOrderStatus,
                    "the mercOrderNo was already used",
                )
                .into());
            }
            let code = &req.contract_info.merc_contract_code;
            if store::contract(c, &caller.merc_no, code)?.is_some() {
                return Err(Rejection::new(
                    SubCode::CheckContractStatus,
                    "the mercContractCode was already used",
                )
                .into());
            }
            let order = Order {
                merc_no: caller.merc_no.clone(),
                merc_order_no: req.merc_order_no.clone(),
                sub_merc_no: party.sub_merc_no.clone(),
                app_id: Some(party.app_id.clone()),
                sub_app_id: party.sub_app_id.clone(),
                channel: match channel {
                    PrepayChannel::App => "app",
                    PrepayChannel::AtomicService => "fa",
                }
                .to_owned(),
                sys_trans_order_no: digits("", 26),
                prepay_id: digits("", 26),
                prepay_issued_ms: now,
                trade_summary: req.trade_summary.clone(),
                total_amount: req.total_amount,
                currency: req.currency.clone().unwrap_or_else(|| "CNY".to_owned()),
                payload: req.payload.clone(),
                callback_url: req.callback_url.clone(),
                expire_at_ms,
                status: OrderStatus::TrxApply,
                finish_ms: None,
                closed_reason: None,
                merc_contract_code: code.clone(),
                created_ms: now,
            };
            store::insert_order(c, &order)?;
            store::insert_contract(
                c,
                &Contract {
                    merc_no: caller.merc_no.clone(),
                    merc_contract_code: code.clone(),
                    sub_merc_no: party.sub_merc_no.clone(),
                    app_id: Some(party.app_id.clone()),
                    plan_id: req.contract_info.plan_id.clone(),
                    merc_order_no: req.merc_order_no.clone(),
                    callback_url: req.contract_info.callback_url.clone(),
                    status: ContractStatus::Pending,
                    contract_id: None,
                    signed_ms: None,
                    expire_date_ms: None,
                    unsigned_ms: None,
                    change_mode: None,
                    unsign_callback_url: None,
                },
            )?;
            Ok(order)
        })
    }

    /// An order of the caller, with a lapsed unpaid order closed first (lazy expiry).
    /// `sub_merc_no`, when given, must be the order's sub-merchant.
    pub fn order(
        &self,
        caller: &str,
        merc_order_no: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<Order> {
        self.change(|c, now, ev| {
            let Some(order) = store::order(c, caller, merc_order_no)? else {
                return Err(Rejection::new(SubCode::MercOrderNotExist, "no such order").into());
            };
            if sub_merc_no.is_some() && order.sub_merc_no.as_deref() != sub_merc_no {
                return Err(Rejection::new(
                    SubCode::MercOrderNotExist,
                    "no such order for that sub-merchant",
                )
                .into());
            }
            expire_if_lapsed(c, now, ev, order)
        })
    }

    /// Refund request (fields already validated): idempotent by mercRefundOrderNo; the order
    /// must be paid, refunds never exceed the paid amount, and refunds of one order are at least
    /// a minute apart.
    pub fn create_refund(&self, caller: &Merchant, req: &RefundRequest) -> Result<Refund> {
        self.change(|c, now, _| {
            let order = match (
                req.sys_trans_order_no.as_deref(),
                req.merc_order_no.as_deref(),
            ) {
                (Some(sys), _) => {
                    store::order_by_sys_no(c, &caller.merc_no, sys)?.ok_or_else(|| {
                        Rejection::new(
                            SubCode::PayOrderNotExist,
                            "no order with that sysTransOrderNo",
                        )
                    })?
                }
                (None, Some(no)) => store::order(c, &caller.merc_no, no)?.ok_or_else(|| {
                    Rejection::new(SubCode::MercOrderNotExist, "no order with that mercOrderNo")
                })?,
                (None, None) => {
                    return Err(Rejection::argument(
                        "one of mercOrderNo and sysTransOrderNo is required",
                    )
                    .into())
                }
            };
            if let Some(existing) = store::refund(c, &caller.merc_no, &req.merc_refund_order_no)? {
                if existing.merc_order_no != order.merc_order_no {
                    return Err(Rejection::argument(
                        "the mercRefundOrderNo was used for another order",
                    )
                    .into());
                }
                // The same refund asked again: answered with the refund already made, never twice.
                return Ok(existing);
            }
            if !caller.refund_enabled {
                return Err(Rejection::new(
                    SubCode::MercNotSupportRefund,
                    "refunds are disabled for this merchant",
                )
                .into());
            }
            if order.status != OrderStatus::TrxSuccess {
                return Err(Rejection::new(
                    SubCode::CheckOrderStatus,
                    "only a paid order can be refunded",
                )
                .into());
            }
            let earlier = store::refunds(c, Some(&caller.merc_no), Some(&order.merc_order_no))?;
            if earlier
                .iter()
                .any(|r| now.saturating_sub(r.created_ms) < rules::REFUND_SPACING_MS)
            {
                return Err(Rejection::new(
                    SubCode::OrderConcurrentError,
                    "another refund of this order was made less than a minute ago",
                )
                .into());
            }
            let committed: i64 = earlier
                .iter()
                .filter(|r| r.status != RefundStatus::RefundFailed)
                .map(|r| r.refund_amount)
                .sum();
            let amount = req.refund_amount.unwrap_or(order.total_amount);
            if committed.saturating_add(amount) > order.total_amount {
                return Err(Rejection::new(
                    SubCode::CheckAmountInvalid,
                    format!(
                        "a refund of {amount} fen exceeds the {} fen left to refund",
                        order.total_amount - committed
                    ),
                )
                .into());
            }
            let refund = Refund {
                merc_no: caller.merc_no.clone(),
                merc_refund_order_no: req.merc_refund_order_no.clone(),
                sys_refund_order_no: digits("", 26),
                merc_order_no: order.merc_order_no.clone(),
                sys_trans_order_no: order.sys_trans_order_no.clone(),
                refund_amount: amount,
                reason: req.reason.clone(),
                callback_url: req.callback_url.clone(),
                payload: req.payload.clone(),
                status: RefundStatus::RefundChlProc,
                created_ms: now,
                finish_ms: None,
            };
            store::insert_refund(c, &refund)?;
            Ok(refund)
        })
    }

    pub fn refund(&self, caller: &str, merc_refund_order_no: &str) -> Result<Refund> {
        Ok(self
            .store
            .run(|c| store::refund(c, caller, merc_refund_order_no))?
            .ok_or_else(|| {
                Rejection::new(
                    SubCode::MercOrderNotExist,
                    "no refund with that mercRefundOrderNo",
                )
            })?)
    }

    /// A signed or ended contract of the caller. A contract still pending (never signed) is not
    /// a valid contract number to Payment Kit (`CHECK_CONTRACT_STATUS`).
    pub fn contract(
        &self,
        caller: &str,
        code: &str,
        sub_merc_no: Option<&str>,
    ) -> Result<Contract> {
        let found = self.store.run(|c| store::contract(c, caller, code))?;
        match found {
            Some(k)
                if k.status != ContractStatus::Pending
                    && (sub_merc_no.is_none() || k.sub_merc_no.as_deref() == sub_merc_no) =>
            {
                Ok(k)
            }
            _ => Err(Rejection::new(
                SubCode::CheckContractStatus,
                "no signed contract with that code",
            )
            .into()),
        }
    }

    /// Merchant unsign (`MERC_API_UNSIGN`): only a signed contract can be ended.
    pub fn unsign_by_merchant(&self, caller: &Merchant, req: UnsignRequest) -> Result<Contract> {
        if req.merc_no != caller.merc_no {
            return Err(Rejection::new(
                SubCode::InvalidMercNo,
                "the merchant number in the body is not the caller's",
            )
            .into());
        }
        let sub = match caller.model {
            MerchantModel::Direct => None,
            MerchantModel::Sp => {
                let sub = req.sub_merc_no.as_deref().unwrap_or_default();
                if caller.sub_merchant(sub).is_none() {
                    return Err(Rejection::new(
                        SubCode::InvalidSubMercNo,
                        "the sub-merchant does not belong to the service provider",
                    )
                    .into());
                }
                Some(sub.to_owned())
            }
        };
        self.change(|c, now, ev| {
            let found = match (
                req.contract_id.as_deref(),
                req.merc_contract_code.as_deref(),
            ) {
                (Some(id), _) => store::contract_by_id(c, &caller.merc_no, id)?,
                (None, Some(code)) => store::contract(c, &caller.merc_no, code)?,
                (None, None) => {
                    return Err(Rejection::argument(
                        "one of contractId and mercContractCode is required",
                    )
                    .into())
                }
            };
            let contract = match found {
                Some(k) if sub.is_none() || k.sub_merc_no == sub => k,
                _ => {
                    return Err(Rejection::new(
                        SubCode::CustNotExist,
                        "no contract with that id or code",
                    )
                    .into());
                }
            };
            if contract.status != ContractStatus::Signed {
                return Err(Rejection::new(
                    SubCode::CheckContractStatus,
                    "only a signed contract can be ended",
                )
                .into());
            }
            end_contract(
                c,
                now,
                ev,
                contract,
                UnsignMode::Merchant,
                req.callback_url.clone(),
            )
        })
    }

    // ---------------------------------------------------------------- cashier / Payment Kit

    /// The user paid in the cashier: only an open order whose prepayId is still valid.
    pub fn pay(&self, merc_no: &str, merc_order_no: &str) -> Result<Order> {
        self.change(|c, now, ev| {
            let order = open_order(c, now, ev, merc_no, merc_order_no)?;
            if now.saturating_sub(order.prepay_issued_ms) > rules::PREPAY_VALIDITY_MS {
                return Err(LifecycleError::Conflict(
                    "the prepayId is older than 10 minutes; the cashier refuses it".to_owned(),
                ));
            }
            store::update_order_status(c, &order, OrderStatus::TrxSuccess, Some(now), None)?;
            ev.emit(c, now, EventKind::OrderPaid, merc_no, merc_order_no)?;
            reload_order(c, merc_no, merc_order_no)
        })
    }

    /// The payment failed in the cashier (no notification follows).
    pub fn fail(&self, merc_no: &str, merc_order_no: &str) -> Result<Order> {
        self.change(|c, now, ev| {
            let order = open_order(c, now, ev, merc_no, merc_order_no)?;
            store::update_order_status(
                c,
                &order,
                OrderStatus::TrxFailed,
                Some(now),
                Some("FAILED"),
            )?;
            ev.emit(c, now, EventKind::OrderFailed, merc_no, merc_order_no)?;
            reload_order(c, merc_no, merc_order_no)
        })
    }

    /// The order lapsed unpaid, now, whatever its expireTime.
    pub fn expire(&self, merc_no: &str, merc_order_no: &str) -> Result<Order> {
        self.change(|c, now, ev| {
            let order = open_order(c, now, ev, merc_no, merc_order_no)?;
            close_expired(c, now, ev, &order)?;
            reload_order(c, merc_no, merc_order_no)
        })
    }

    /// The user signed the contract in the cashier, after paying its order.
    pub fn sign(&self, merc_no: &str, merc_contract_code: &str) -> Result<Contract> {
        self.change(|c, now, ev| {
            let Some(mut contract) = store::contract(c, merc_no, merc_contract_code)? else {
                return Err(LifecycleError::NotFound(format!(
                    "contract {merc_contract_code} of {merc_no}"
                )));
            };
            if contract.status != ContractStatus::Pending {
                return Err(LifecycleError::Conflict(format!(
                    "the contract is {}, not PENDING",
                    contract.status.as_str()
                )));
            }
            let order = store::order(c, merc_no, &contract.merc_order_no)?.ok_or_else(|| {
                LifecycleError::NotFound(format!("order {}", contract.merc_order_no))
            })?;
            if order.status != OrderStatus::TrxSuccess {
                return Err(LifecycleError::Conflict(
                    "pay and sign: the order must be paid before its contract is signed".to_owned(),
                ));
            }
            contract.status = ContractStatus::Signed;
            contract.contract_id = Some(digits("", 25));
            contract.signed_ms = Some(now);
            contract.change_mode = Some("USER_SIGN".to_owned());
            store::update_contract(c, &contract)?;
            ev.emit(
                c,
                now,
                EventKind::ContractSigned,
                merc_no,
                merc_contract_code,
            )?;
            Ok(contract)
        })
    }

    /// The user (or the platform) ended a signed contract.
    pub fn unsign_by(
        &self,
        merc_no: &str,
        merc_contract_code: &str,
        mode: UnsignMode,
    ) -> Result<Contract> {
        self.change(|c, now, ev| {
            let Some(contract) = store::contract(c, merc_no, merc_contract_code)? else {
                return Err(LifecycleError::NotFound(format!(
                    "contract {merc_contract_code} of {merc_no}"
                )));
            };
            if contract.status != ContractStatus::Signed {
                return Err(LifecycleError::Conflict(format!(
                    "the contract is {}, not SIGNED",
                    contract.status.as_str()
                )));
            }
            end_contract(c, now, ev, contract, mode, None)
        })
    }

    /// The refund finished at the bank: success or failure.
    pub fn finish_refund(
        &self,
        merc_no: &str,
        merc_refund_order_no: &str,
        success: bool,
    ) -> Result<Refund> {
        self.change(|c, now, ev| {
            let Some(refund) = store::refund(c, merc_no, merc_refund_order_no)? else {
                return Err(LifecycleError::NotFound(format!(
                    "refund {merc_refund_order_no} of {merc_no}"
                )));
            };
            if refund.status != RefundStatus::RefundChlProc {
                return Err(LifecycleError::Conflict(format!(
                    "the refund is already {}",
                    refund.status.as_str()
                )));
            }
            let status = if success {
                RefundStatus::RefundSuccess
            } else {
                RefundStatus::RefundFailed
            };
            store::update_refund_status(c, &refund, status, now)?;
            ev.emit(
                c,
                now,
                EventKind::RefundFinished,
                merc_no,
                merc_refund_order_no,
            )?;
            store::refund(c, merc_no, merc_refund_order_no)?
                .ok_or_else(|| LifecycleError::NotFound(merc_refund_order_no.to_owned()))
        })
    }
}

fn reload_order(c: &Connection, merc_no: &str, merc_order_no: &str) -> Result<Order> {
    store::order(c, merc_no, merc_order_no)?
        .ok_or_else(|| LifecycleError::NotFound(format!("order {merc_order_no} of {merc_no}")))
}

fn close_expired(c: &Connection, now: i64, ev: &mut Pending, order: &Order) -> Result<()> {
    store::update_order_status(c, order, OrderStatus::TrxFailed, Some(now), Some("EXPIRED"))?;
    ev.emit(
        c,
        now,
        EventKind::OrderExpired,
        &order.merc_no,
        &order.merc_order_no,
    )
}

fn expire_if_lapsed(c: &Connection, now: i64, ev: &mut Pending, order: Order) -> Result<Order> {
    if order.status == OrderStatus::TrxApply && now >= order.expire_at_ms {
        close_expired(c, now, ev, &order)?;
        return reload_order(c, &order.merc_no, &order.merc_order_no);
    }
    Ok(order)
}

/// An order the cashier can still act on.
fn open_order(
    c: &Connection,
    now: i64,
    ev: &mut Pending,
    merc_no: &str,
    merc_order_no: &str,
) -> Result<Order> {
    let Some(order) = store::order(c, merc_no, merc_order_no)? else {
        return Err(LifecycleError::NotFound(format!(
            "order {merc_order_no} of {merc_no}"
        )));
    };
    let order = expire_if_lapsed(c, now, ev, order)?;
    if order.status != OrderStatus::TrxApply {
        let why = order
            .closed_reason
            .as_deref()
            .unwrap_or(order.status.as_str());
        return Err(LifecycleError::Conflict(format!(
            "the order is closed ({why})"
        )));
    }
    Ok(order)
}

fn end_contract(
    c: &Connection,
    now: i64,
    ev: &mut Pending,
    mut contract: Contract,
    mode: UnsignMode,
    callback_url: Option<String>,
) -> Result<Contract> {
    contract.status = ContractStatus::Unsigned;
    contract.unsigned_ms = Some(now);
    contract.change_mode = Some(mode.as_str().to_owned());
    contract.unsign_callback_url = callback_url;
    store::update_contract(c, &contract)?;
    ev.emit(
        c,
        now,
        EventKind::ContractUnsigned,
        &contract.merc_no,
        &contract.merc_contract_code,
    )?;
    Ok(contract)
}
