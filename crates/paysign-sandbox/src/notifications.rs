//! The notification Payment Kit sends for an event (spec §5), built from the sandbox's state in
//! paysign-pas's notification models and signed with the sandbox key. The callback dispatcher
//! POSTs exactly these bodies; the operator API serves them too, so a merchant server (and the
//! tests) can be fed real signed notifications by hand.

use paysign_pas::model::notify::NotificationHeader;
use paysign_pas::model::{
    ChangeMode, ContractSignedNotification, DataType, OrderStatus as WireOrderStatus,
    PaymentNotification, PaymentTool, RefundNotification, RefundStatus as WireRefundStatus,
    UnsignNotification,
};
use serde::Serialize;

use crate::clock;
use crate::events::{EventKind, SandboxEvent};
use crate::merchants::{Merchant, MerchantModel};
use crate::signing::{Signer, SigningError};
use crate::store::{self, RefundStatus, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error("the event refers to {0}, which the sandbox no longer holds")]
    Missing(String),
}

/// A notification ready to send: where to, which kind, and the signed JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingNotification {
    /// `PAYMENT`, `CONTRACT_SIGNED`, `UNSIGN`, `REFUND` or `WITHHOLD`.
    pub kind: &'static str,
    pub callback_id: String,
    /// Where Payment Kit would POST it (absent for an unsign without a callbackUrl).
    pub callback_url: Option<String>,
    /// The exact body, signed.
    pub body: String,
}

/// Options that change the notification sent, for testing a merchant's handling.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationOptions {
    /// Send `dataType=encrypt` (the body stays plain: the sandbox cannot encrypt yet).
    pub encrypt_flag: bool,
}

/// The callbackId of an event: the same on every retry of the same notification (spec §5.1).
pub fn callback_id(event: &SandboxEvent) -> String {
    format!("SBX{:021}", event.seq)
}

fn header(
    signer: &Signer,
    event: &SandboxEvent,
    now_ms: i64,
    opts: NotificationOptions,
) -> NotificationHeader {
    NotificationHeader {
        callback_id: callback_id(event),
        callback_time: Some(clock::format_plain(now_ms)),
        data_type: Some(if opts.encrypt_flag {
            DataType::Encrypt
        } else {
            DataType::Plain
        }),
        sign_type: Some("SM2".to_owned()),
        cert_no: Some(signer.cert_no().to_owned()),
        sign: None,
    }
}

/// Merchant fields of a notification: (mercNo, spMercNo, subMercNo) by the merchant's model.
fn parties(
    merchant: &Merchant,
    sub_merc_no: Option<&String>,
) -> (Option<String>, Option<String>, Option<String>) {
    match merchant.model {
        MerchantModel::Direct => (Some(merchant.merc_no.clone()), None, None),
        MerchantModel::Sp => (None, Some(merchant.merc_no.clone()), sub_merc_no.cloned()),
    }
}

/// The signed notification for `event`, or `None` for events Payment Kit sends nothing for
/// (failed or expired payments).
pub fn build(
    conn: &rusqlite::Connection,
    signer: &Signer,
    event: &SandboxEvent,
    now_ms: i64,
    opts: NotificationOptions,
) -> Result<Option<OutgoingNotification>, NotificationError> {
    let merchant = store::merchant(conn, &event.merc_no)?
        .ok_or_else(|| NotificationError::Missing(format!("merchant {}", event.merc_no)))?;
    let head = header(signer, event, now_ms, opts);
    let callback_id = head.callback_id.clone();
    let out = match event.kind {
        EventKind::OrderFailed | EventKind::OrderExpired => return Ok(None),
        EventKind::OrderPaid => {
            let o = store::order(conn, &event.merc_no, &event.key)?
                .ok_or_else(|| NotificationError::Missing(format!("order {}", event.key)))?;
            let (merc_no, sp_merc_no, sub_merc_no) = parties(&merchant, o.sub_merc_no.as_ref());
            let sp = merchant.model == MerchantModel::Sp;
            let n = PaymentNotification {
                header: head,
                merc_order_no: o.merc_order_no.clone(),
                sys_trans_order_no: o.sys_trans_order_no.clone(),
                order_status: WireOrderStatus::Success,
                currency: o.currency.clone(),
                total_amount: o.total_amount,
                payer_amount: Some(o.total_amount),
                promotion_amount: Some(0),
                merc_no,
                app_id: if sp { None } else { o.app_id.clone() },
                sp_merc_no,
                sub_merc_no,
                sp_app_id: if sp { o.app_id.clone() } else { None },
                payload: o.payload.clone(),
                finish_time: o.finish_ms.map(clock::format_iso),
                payment_tools: Some(PaymentTool::Agreement),
                promotion_detail: None,
                payer: None,
            };
            OutgoingNotification {
                kind: "PAYMENT",
                callback_id,
                callback_url: Some(o.callback_url),
                body: signer.sign_json(&n)?,
            }
        }
        EventKind::ContractSigned | EventKind::ContractUnsigned => {
            let k = store::contract(conn, &event.merc_no, &event.key)?
                .ok_or_else(|| NotificationError::Missing(format!("contract {}", event.key)))?;
            let contract_id = k.contract_id.clone().ok_or_else(|| {
                NotificationError::Missing(format!("the contractId of {}", event.key))
            })?;
            let (merc_no, sp_merc_no, sub_merc_no) = parties(&merchant, k.sub_merc_no.as_ref());
            let app_id = if merchant.model == MerchantModel::Direct {
                k.app_id.clone()
            } else {
                None
            };
            if event.kind == EventKind::ContractSigned {
                let n = ContractSignedNotification {
                    header: head,
                    contract_id,
                    operate_time: clock::format_plain(k.signed_ms.unwrap_or(event.at_ms)),
                    plan_id: Some(k.plan_id.clone()),
                    merc_contract_code: Some(k.merc_contract_code.clone()),
                    merc_no,
                    app_id,
                    sp_merc_no,
                    sub_merc_no,
                    change_mode: Some(ChangeMode::UserSign),
                    expire_date: k.expire_date_ms.map(clock::format_date),
                    payer: None,
                };
                OutgoingNotification {
                    kind: "CONTRACT_SIGNED",
                    callback_id,
                    callback_url: Some(k.callback_url),
                    body: signer.sign_json(&n)?,
                }
            } else {
                let n = UnsignNotification {
                    header: head,
                    contract_id,
                    operate_time: Some(clock::format_plain(k.unsigned_ms.unwrap_or(event.at_ms))),
                    plan_id: Some(k.plan_id.clone()),
                    merc_contract_code: Some(k.merc_contract_code.clone()),
                    merc_no,
                    app_id,
                    sp_merc_no,
                    sub_merc_no,
                    change_mode: k.change_mode.as_deref().map(ChangeMode::parse),
                    expire_date: None,
                };
                OutgoingNotification {
                    kind: "UNSIGN",
                    callback_id,
                    // Unsign results go to the unsign request's callbackUrl, else the template's
                    // (the contract's) one.
                    callback_url: k.unsign_callback_url.or(Some(k.callback_url)),
                    body: signer.sign_json(&n)?,
                }
            }
        }
        EventKind::DebitFinished => {
            crate::withhold::notification(conn, signer, &merchant, head, event)?
        }
        EventKind::RefundFinished => {
            let r = store::refund(conn, &event.merc_no, &event.key)?
                .ok_or_else(|| NotificationError::Missing(format!("refund {}", event.key)))?;
            let o = store::order(conn, &event.merc_no, &r.merc_order_no)?
                .ok_or_else(|| NotificationError::Missing(format!("order {}", r.merc_order_no)))?;
            let (merc_no, sp_merc_no, sub_merc_no) = parties(&merchant, o.sub_merc_no.as_ref());
            let n = RefundNotification {
                header: head,
                merc_refund_no: r.merc_refund_order_no.clone(),
                sys_refund_no: Some(r.sys_refund_order_no.clone()),
                refund_order_status: match r.status {
                    RefundStatus::RefundSuccess => WireRefundStatus::Success,
                    RefundStatus::RefundFailed => WireRefundStatus::Failed,
                    RefundStatus::RefundChlProc => WireRefundStatus::Processing,
                },
                refund_amount: r.refund_amount,
                payer_refund_amount: Some(r.refund_amount),
                promotion_refund_amount: Some(0),
                currency: Some(o.currency.clone()),
                merc_no,
                sp_merc_no,
                sub_merc_no,
                finish_time: r.finish_ms.map(clock::format_iso),
                payload: r.payload.clone(),
            };
            OutgoingNotification {
                kind: "REFUND",
                callback_id,
                callback_url: Some(r.callback_url),
                body: signer.sign_json(&n)?,
            }
        }
    };
    Ok(Some(out))
}
