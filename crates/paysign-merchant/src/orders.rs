//! The app-facing calls: create an order (priced from the catalogue, idempotent per user and
//! key) and read its status (asking Payment Kit itself when it stayed pending).

use paysign_contract::{
    ContractState, CreateOrderRequest, OrderStatus, PaymentState, Ticket, IDEMPOTENCY_KEY_MAX_CHARS,
};

use crate::error::{Error, Result};
use crate::pk::NewOrder;
use crate::server::AppState;
use crate::store::{self, contract, payment, Contract, Order};
use crate::{ids, reconcile, time};

/// A prepay_id is valid 10 minutes; a ticket older than this is not handed out again (the app
/// would reach the cashier with seconds to spare, or too late).
pub const TICKET_REUSE_MS: i64 = 9 * 60_000;

/// A pre-order still unfinished after this long was abandoned (its call timed out long ago).
const STALE_PREPARING_MS: i64 = 2 * 60_000;

/// Checks an `Idempotency-Key`: 1 to 128 visible ASCII characters.
pub fn check_idempotency_key(key: Option<&str>) -> Result<String> {
    let key = key.ok_or_else(|| {
        Error::BadRequest(format!(
            "the {} header is required",
            paysign_contract::IDEMPOTENCY_KEY_HEADER
        ))
    })?;
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_MAX_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::BadRequest(format!(
            "{} must be 1 to {IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters",
            paysign_contract::IDEMPOTENCY_KEY_HEADER
        )));
    }
    Ok(key.to_owned())
}

/// `POST /paysign/orders`.
pub async fn create(
    state: &AppState,
    user: &str,
    key: &str,
    request: &CreateOrderRequest,
) -> Result<Ticket> {
    let product = state
        .settings
        .products
        .get(&request.product_id)
        .ok_or_else(|| Error::BadRequest(format!("unknown product {:?}", request.product_id)))?;
    let now = time::now_ms();
    if let Some(existing) = store::order_by_key(&state.db, user, key).await? {
        if existing.payment == payment::PREPARING && now - existing.created_ms > STALE_PREPARING_MS
        {
            // A pre-order that never finished (the server stopped mid-way): no ticket was
            // handed out, so nobody can pay it; forget it and create the order anew.
            tracing::warn!(
                merc_order_no = existing.merc_order_no,
                "abandoned pre-order replaced"
            );
            store::delete_preparing(&state.db, &existing.merc_order_no).await?;
        } else {
            return replay(&existing, &request.product_id);
        }
    }
    let reconcile_cfg = &state.settings.config.reconcile;
    let merc_order_no = ids::new_id("PS").map_err(|e| Error::Internal(e.to_string()))?;
    let merc_contract_code = ids::new_id("PC").map_err(|e| Error::Internal(e.to_string()))?;
    let expire_ms = now + ms(reconcile_cfg.order_expire_ms);
    let order = Order {
        merc_order_no: merc_order_no.clone(),
        user_id: user.to_owned(),
        idempotency_key: key.to_owned(),
        product_id: product.id.clone(),
        amount_fen: product.amount_fen,
        currency: paysign_pas::limits::CNY.to_owned(),
        merc_contract_code: merc_contract_code.clone(),
        order_str: None,
        ticket_ms: None,
        payment: payment::PREPARING.to_owned(),
        sys_trans_order_no: None,
        paid_ms: None,
        finish_time: None,
        refunded_fen: 0,
        created_ms: now,
        updated_ms: now,
        expire_ms,
        next_check_ms: now + ms(reconcile_cfg.payment_after_ms),
        check_attempts: 0,
    };
    let contract_row = Contract {
        merc_contract_code: merc_contract_code.clone(),
        merc_order_no: merc_order_no.clone(),
        user_id: user.to_owned(),
        plan_id: state.settings.config.merchant.plan_id.clone(),
        state: contract::PENDING.to_owned(),
        contract_id: None,
        operate_time: None,
        unsign_requested: false,
        withhold_blocked_until: 0,
        created_ms: now,
        updated_ms: now,
        next_check_ms: now + ms(reconcile_cfg.contract_after_ms),
        check_attempts: 0,
    };
    if !store::insert_order(&state.db, &order, &contract_row).await? {
        // Another request with the same key won the race.
        return match store::order_by_key(&state.db, user, key).await? {
            Some(existing) => replay(&existing, &request.product_id),
            None => Err(Error::Conflict("retry the request".to_owned())),
        };
    }
    let summary = trade_summary(&state.settings.config.merchant.trade_name, &product.name);
    let new_order = NewOrder {
        merc_order_no: &merc_order_no,
        merc_contract_code: &merc_contract_code,
        trade_summary: summary,
        amount_fen: product.amount_fen,
        expire_ms,
    };
    match state.payment_kit.prepay(&new_order, now).await {
        Ok(order_str) => {
            let answered = time::now_ms();
            store::set_ticket(
                &state.db,
                &merc_order_no,
                &order_str,
                answered,
                answered + ms(reconcile_cfg.payment_after_ms),
            )
            .await?;
            state.metrics.order_created();
            tracing::info!(
                merc_order_no,
                user,
                product = product.id,
                amount_fen = product.amount_fen,
                "order created"
            );
            Ok(Ticket {
                order_str,
                merc_order_no,
                merc_contract_code,
                server_time_ms: u64::try_from(answered).ok(),
            })
        }
        Err(e) => {
            // No orderStr was handed out, so nobody can pay this order: forget it, and let the
            // same key try again.
            tracing::warn!(merc_order_no, error = %e, "pre-order failed");
            store::delete_preparing(&state.db, &merc_order_no).await?;
            Err(Error::Upstream(format!(
                "the pre-order failed ({}); retry later",
                e.api()
                    .and_then(|a| a.sub_code.as_ref())
                    .map_or_else(|| "no answer".to_owned(), |s| s.to_string())
            )))
        }
    }
}

fn replay(existing: &Order, product_id: &str) -> Result<Ticket> {
    if existing.product_id != product_id {
        return Err(Error::Conflict(
            "this Idempotency-Key was used for another product".to_owned(),
        ));
    }
    let (Some(order_str), Some(ticket_ms)) = (&existing.order_str, existing.ticket_ms) else {
        return Err(Error::Conflict(
            "an order with this Idempotency-Key is being created; retry shortly".to_owned(),
        ));
    };
    if time::now_ms() - ticket_ms > TICKET_REUSE_MS {
        return Err(Error::Conflict(
            "the ticket of this Idempotency-Key has expired; create a new order with a new key"
                .to_owned(),
        ));
    }
    Ok(Ticket {
        order_str: order_str.clone(),
        merc_order_no: existing.merc_order_no.clone(),
        merc_contract_code: existing.merc_contract_code.clone(),
        server_time_ms: u64::try_from(time::now_ms()).ok(),
    })
}

/// "app name-product name", at most 128 characters.
fn trade_summary(trade_name: &str, product_name: &str) -> String {
    format!("{trade_name}-{product_name}")
        .chars()
        .take(128)
        .collect()
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `GET /paysign/orders/{mercOrderNo}` for its owner.
pub async fn status(state: &AppState, user: &str, merc_order_no: &str) -> Result<OrderStatus> {
    if !ids::is_plain_id(merc_order_no) {
        return Err(Error::NotFound);
    }
    let order = owned(state, user, merc_order_no).await?;
    let contract_row = store::contract(&state.db, &order.merc_contract_code).await?;
    let pending = order.payment == payment::PENDING
        || contract_row
            .as_ref()
            .is_some_and(|c| c.state == contract::PENDING && order.payment == payment::PAID);
    let now = time::now_ms();
    let after = ms(state.settings.config.reconcile.status_query_after_ms);
    if pending && now - order.ticket_ms.unwrap_or(order.created_ms) >= after {
        reconcile::query_order_now(state, &order.merc_order_no, now).await;
        let order = owned(state, user, merc_order_no).await?;
        let contract_row = store::contract(&state.db, &order.merc_contract_code).await?;
        return Ok(to_status(&order, contract_row.as_ref()));
    }
    Ok(to_status(&order, contract_row.as_ref()))
}

async fn owned(state: &AppState, user: &str, merc_order_no: &str) -> Result<Order> {
    match store::order(&state.db, merc_order_no).await? {
        // Another user's order is answered exactly like a missing one.
        Some(o) if o.user_id == user && o.payment != payment::PREPARING => Ok(o),
        _ => Err(Error::NotFound),
    }
}

/// The contract's answer: what the app may rely on.
pub fn to_status(order: &Order, contract_row: Option<&Contract>) -> OrderStatus {
    let payment_state = match order.payment.as_str() {
        payment::PAID => PaymentState::Paid,
        payment::NOT_PAID => PaymentState::NotPaid,
        _ => PaymentState::Pending,
    };
    let (contract_state, contract_id) = match contract_row {
        Some(c) => match c.state.as_str() {
            contract::SIGNED => (ContractState::Signed, c.contract_id.clone()),
            // Ended or never signed: either way no contract stands for this order.
            contract::UNSIGNED | contract::NOT_SIGNED => (ContractState::NotSigned, None),
            _ if payment_state == PaymentState::NotPaid => (ContractState::NotSigned, None),
            _ => (ContractState::Pending, None),
        },
        None => (ContractState::Pending, None),
    };
    let updated = contract_row.map_or(order.updated_ms, |c| c.updated_ms.max(order.updated_ms));
    OrderStatus {
        merc_order_no: order.merc_order_no.clone(),
        payment: payment_state,
        contract: contract_state,
        contract_id,
        updated_at: u64::try_from(updated).unwrap_or(0),
    }
}
