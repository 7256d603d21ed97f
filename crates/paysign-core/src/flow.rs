//! The pay-and-sign flow as a reducer: `step(state, event) -> (state, action)`.
//!
//! The caller (the ArkTS shell, or a test) performs each action and feeds the result back as the
//! next event; time enters only as the event's `now_ms`. The reducer owns every decision: whether
//! the ticket may reach the cashier, which cashier results end at once, how long and how often the
//! merchant status is polled, and what the outcome is.
//!
//! ```text
//! New --STARTED--> FetchingTicket --TICKET_FETCHED(valid)--> InCashier
//! InCashier --any cashier answer but 401 / 1001930010--> Querying <--> Waiting (poll)
//! anything that ends --> Done (the same DONE action for every later event)
//! ```

mod codec;

use crate::config::FlowConfig;
use crate::error::{payment_kit, PaysignError};
use crate::order_str;
use crate::outcome::{ContractOutcome, PayAndSignOutcome, PaymentOutcome};
use crate::status::{MerchantContract, MerchantPayment, MerchantStatus};
use crate::{status, ticket};

/// The version written into every state; a state of another version is refused (1003).
/// 2: the hand-shaped form of `codec` (1 was serde's derived form). 3: every cashier answer is
/// polled (no confirmation mode), new outcome errors.
const STATE_VERSION: u32 = 3;
/// A state string longer than this was not written by this library.
const MAX_STATE_BYTES: usize = 64 * 1024;
/// Messages from the caller are cut to this many characters before they are kept.
const MAX_MESSAGE_CHARS: usize = 256;

/// What happened, as the caller reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The first event: the flow begins.
    Started,
    /// The merchant server answered the ticket call with this body.
    TicketFetched { body: String },
    /// The ticket call failed (network, timeout, or an HTTP status).
    TicketFailed {
        http_status: Option<u16>,
        message: String,
    },
    /// `requestPayment` resolved.
    CashierReturned,
    /// `requestPayment` rejected with a Payment Kit code.
    CashierFailed { code: i64, message: String },
    /// The merchant server answered the status call with this body.
    StatusFetched { body: String },
    /// The status call failed.
    StatusFailed {
        http_status: Option<u16>,
        message: String,
    },
    /// A `Wait` elapsed.
    TimerFired,
}

impl Event {
    /// The wire name (`STARTED`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Started => "STARTED",
            Event::TicketFetched { .. } => "TICKET_FETCHED",
            Event::TicketFailed { .. } => "TICKET_FAILED",
            Event::CashierReturned => "CASHIER_RETURNED",
            Event::CashierFailed { .. } => "CASHIER_FAILED",
            Event::StatusFetched { .. } => "STATUS_FETCHED",
            Event::StatusFailed { .. } => "STATUS_FAILED",
            Event::TimerFired => "TIMER_FIRED",
        }
    }
}

/// The one thing the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ask the merchant server for a ticket.
    FetchTicket,
    /// Open the Payment Kit cashier with this orderStr (validated). The order numbers come with
    /// it: from here on money may move, and the shell must be able to name the order whatever
    /// happens (save it for a later re-confirmation, put it in an outcome after an exception).
    OpenCashier {
        order_str: String,
        merc_order_no: String,
        merc_contract_code: String,
    },
    /// Ask the merchant server for the status of this order.
    QueryStatus { merc_order_no: String },
    /// Wait this long, then send `TIMER_FIRED`.
    Wait { wait_ms: u64 },
    /// The flow is over.
    Done { outcome: PayAndSignOutcome },
}

impl Action {
    /// The wire name (`FETCH_TICKET`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::FetchTicket => "FETCH_TICKET",
            Action::OpenCashier { .. } => "OPEN_CASHIER",
            Action::QueryStatus { .. } => "QUERY_STATUS",
            Action::Wait { .. } => "WAIT",
            Action::Done { .. } => "DONE",
        }
    }

    /// Where the flow is, for a progress display: `CREATING_ORDER`, `IN_CASHIER`, `CONFIRMING`
    /// (querying or waiting to query), `DONE`.
    pub fn stage(&self) -> &'static str {
        match self {
            Action::FetchTicket => "CREATING_ORDER",
            Action::OpenCashier { .. } => "IN_CASHIER",
            Action::QueryStatus { .. } | Action::Wait { .. } => "CONFIRMING",
            Action::Done { .. } => "DONE",
        }
    }
}

/// The order a flow is about, once the ticket is known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderRef {
    merc_order_no: String,
    merc_contract_code: String,
}

/// How the cashier ended; decides how the outcome is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CashierResult {
    Returned,
    Failed {
        code: i64,
        message: String,
    },
    /// A resumed flow: the cashier's answer was lost with the app that opened it.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Confirm {
    order: OrderRef,
    cashier: CashierResult,
    /// No new query starts at or after this time.
    until_ms: u64,
    /// Status queries answered so far (successfully or not).
    queries: u32,
    /// What the merchant server said, merged so that knowledge only grows: a final state is
    /// not undone by a later `PENDING`, and `PAID` / `SIGNED` win over anything.
    last_status: Option<MerchantStatus>,
    last_error: Option<PaysignError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    New,
    /// A flow re-confirming an order whose cashier opened in an earlier run of the app.
    Resuming {
        order: OrderRef,
    },
    FetchingTicket,
    InCashier {
        order: OrderRef,
        opened_ms: u64,
    },
    Querying {
        confirm: Confirm,
    },
    Waiting {
        confirm: Confirm,
    },
    Done {
        outcome: PayAndSignOutcome,
    },
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::Resuming { .. } => "resuming",
            Phase::FetchingTicket => "fetching the ticket",
            Phase::InCashier { .. } => "in the cashier",
            Phase::Querying { .. } => "querying the status",
            Phase::Waiting { .. } => "waiting to query",
            Phase::Done { .. } => "done",
        }
    }
}

/// The whole state of one flow. The N-API library holds it as a native object the shell passes
/// back on every step; [`FlowState::encode`] / [`FlowState::decode`] give it a string form for
/// inspecting and fuzzing (the device library does not link them).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowState {
    v: u32,
    config: FlowConfig,
    started_ms: Option<u64>,
    /// The latest `now_ms` seen; a clock that goes back is read as standing still.
    last_now_ms: u64,
    cashier_opened: bool,
    phase: Phase,
}

impl FlowState {
    /// A new flow with a checked config.
    pub fn new(config: FlowConfig) -> Result<FlowState, PaysignError> {
        config.validate()?;
        Ok(FlowState {
            v: STATE_VERSION,
            config,
            started_ms: None,
            last_now_ms: 0,
            cashier_opened: false,
            phase: Phase::New,
        })
    }

    /// A flow that re-confirms an order whose cashier opened in an earlier run of the app (killed
    /// or crashed before its outcome was final): `STARTED` queries the merchant at once, then it
    /// polls as after any cashier answer. The cashier never opens again in it.
    pub fn resume(
        config: FlowConfig,
        merc_order_no: &str,
        merc_contract_code: &str,
    ) -> Result<FlowState, PaysignError> {
        let check = |name: &str, value: &str, max: usize| {
            let chars = value.chars().count();
            if chars == 0 || chars > max || value.chars().any(char::is_control) {
                Err(PaysignError::InvalidInput {
                    reason: format!(
                        "{name} must be 1..={max} characters without control characters"
                    ),
                })
            } else {
                Ok(value.to_string())
            }
        };
        let order = OrderRef {
            merc_order_no: check(
                "mercOrderNo",
                merc_order_no,
                ticket::MERC_ORDER_NO_MAX_CHARS,
            )?,
            merc_contract_code: check(
                "mercContractCode",
                merc_contract_code,
                ticket::MERC_CONTRACT_CODE_MAX_CHARS,
            )?,
        };
        let mut state = FlowState::new(config)?;
        state.cashier_opened = true;
        state.phase = Phase::Resuming { order };
        Ok(state)
    }

    /// The state as a string (tests, fuzzing, debugging).
    pub fn encode(&self) -> Result<String, PaysignError> {
        codec::state_to_json(self).map_err(|e| PaysignError::Internal {
            reason: format!("state serialization: {e}"),
        })
    }

    /// Reads a state string this library wrote; anything else is error 1003.
    pub fn decode(text: &str) -> Result<FlowState, PaysignError> {
        let invalid = |reason: String| PaysignError::InvalidState { reason };
        if text.len() > MAX_STATE_BYTES {
            return Err(invalid(format!("{} bytes is too long", text.len())));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let state = codec::state_from_value(&value).map_err(invalid)?;
        if state.v != STATE_VERSION {
            return Err(invalid(format!(
                "version {} is not {STATE_VERSION}",
                state.v
            )));
        }
        state
            .config
            .validate()
            .map_err(|e| invalid(format!("config: {e}")))?;
        Ok(state)
    }

    /// The cashier has been opened in this flow.
    pub fn cashier_opened(&self) -> bool {
        self.cashier_opened
    }

    /// The flow has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done { .. })
    }

    /// The outcome, once the flow has ended.
    pub fn outcome(&self) -> Option<&PayAndSignOutcome> {
        match &self.phase {
            Phase::Done { outcome } => Some(outcome),
            _ => None,
        }
    }

    /// The config the flow runs with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }
}

/// One step of the flow. An event that does not fit the current phase is error 1001 and changes
/// nothing; once the flow is done, every event gets the same `Done` again.
pub fn step(
    state: &FlowState,
    now_ms: u64,
    event: &Event,
) -> Result<(FlowState, Action), PaysignError> {
    let mut next = state.clone();
    let now = now_ms.max(state.last_now_ms);
    next.last_now_ms = now;
    let action = match (&state.phase, event) {
        (Phase::Done { outcome }, _) => {
            return Ok((
                state.clone(),
                Action::Done {
                    outcome: outcome.clone(),
                },
            ))
        }
        (Phase::Resuming { order }, Event::Started) => {
            next.started_ms = Some(now);
            next.begin_confirm(now, order.clone(), CashierResult::Unknown)
        }
        (Phase::New, Event::Started) => {
            next.started_ms = Some(now);
            next.phase = Phase::FetchingTicket;
            Action::FetchTicket
        }
        (Phase::FetchingTicket, Event::TicketFetched { .. } | Event::TicketFailed { .. })
            if now >= next.deadline_ms() =>
        {
            next.finish_before_cashier(
                now,
                None,
                PaysignError::DeadlineExceeded {
                    deadline_ms: next.config.overall_deadline_ms,
                },
            )
        }
        (Phase::FetchingTicket, Event::TicketFetched { body }) => next.on_ticket(now, body),
        (
            Phase::FetchingTicket,
            Event::TicketFailed {
                http_status,
                message,
            },
        ) => {
            let reason = clip(message);
            let error = match http_status {
                Some(http_status) => PaysignError::TicketRefused {
                    http_status: *http_status,
                    reason,
                },
                None => PaysignError::TicketUnreachable { reason },
            };
            next.finish_before_cashier(now, None, error)
        }
        (Phase::InCashier { order, .. }, Event::CashierReturned) => {
            next.begin_confirm(now, order.clone(), CashierResult::Returned)
        }
        (Phase::InCashier { order, .. }, Event::CashierFailed { code, message }) => {
            let result = CashierResult::Failed {
                code: *code,
                message: clip(message),
            };
            match *code {
                // The cashier did not take the order: nothing to confirm.
                payment_kit::PARAMETER_ERROR | payment_kit::DUPLICATE_REQUEST => next.finish(
                    now,
                    Some(order.clone()),
                    PaymentOutcome::NotPaid,
                    ContractOutcome::NotSigned,
                    None,
                    Some(PaysignError::PaymentKit {
                        code: *code,
                        message: clip(message),
                    }),
                ),
                // Anything else, cancel and pay failure included, is confirmed by polling: a user
                // can pay and then cancel signing, and a cashier's failure is not the server's.
                _ => next.begin_confirm(now, order.clone(), result),
            }
        }
        (Phase::Querying { confirm }, Event::StatusFetched { body }) => {
            let mut confirm = confirm.clone();
            confirm.queries = confirm.queries.saturating_add(1);
            match parse_status(body, &confirm.order.merc_order_no) {
                Ok(status) => {
                    let merged = merge_status(confirm.last_status.take(), status);
                    let is_final = merged.is_final();
                    confirm.last_status = Some(merged);
                    if is_final {
                        next.finish_confirmed(now, confirm)
                    } else {
                        next.after_query(now, confirm)
                    }
                }
                Err(error) => {
                    confirm.last_error = Some(error);
                    next.after_query(now, confirm)
                }
            }
        }
        (
            Phase::Querying { confirm },
            Event::StatusFailed {
                http_status,
                message,
            },
        ) => {
            let mut confirm = confirm.clone();
            confirm.queries = confirm.queries.saturating_add(1);
            let reason = match http_status {
                Some(code) => format!("status call failed with HTTP {code}: {}", clip(message)),
                None => format!("status call failed: {}", clip(message)),
            };
            confirm.last_error = Some(PaysignError::ConfirmTimedOut {
                reason,
                payment_kit_code: None,
            });
            next.after_query(now, confirm)
        }
        (Phase::Waiting { confirm }, Event::TimerFired) => {
            let merc_order_no = confirm.order.merc_order_no.clone();
            next.phase = Phase::Querying {
                confirm: confirm.clone(),
            };
            Action::QueryStatus { merc_order_no }
        }
        (phase, event) => {
            return Err(PaysignError::InvalidInput {
                reason: format!(
                    "event {} is not expected while {}",
                    event.kind(),
                    phase.name()
                ),
            })
        }
    };
    Ok((next, action))
}

/// What is known after a new answer: `PAID` and `SIGNED` are never lost, a final state is not
/// undone by a later `PENDING`, and a contract id once given is kept. (A server's states only move
/// forward; a regression is its bug, and forgetting a payment is the one mistake that charges a
/// user twice.)
fn merge_status(known: Option<MerchantStatus>, new: MerchantStatus) -> MerchantStatus {
    let Some(known) = known else { return new };
    let payment = match (known.payment, new.payment) {
        (MerchantPayment::Paid, _) | (_, MerchantPayment::Paid) => MerchantPayment::Paid,
        (_, MerchantPayment::NotPaid) | (MerchantPayment::NotPaid, _) => MerchantPayment::NotPaid,
        _ => MerchantPayment::Pending,
    };
    let contract = match (known.contract, new.contract) {
        (MerchantContract::Signed, _) | (_, MerchantContract::Signed) => MerchantContract::Signed,
        (_, MerchantContract::NotSigned) | (MerchantContract::NotSigned, _) => {
            MerchantContract::NotSigned
        }
        _ => MerchantContract::Pending,
    };
    MerchantStatus {
        merc_order_no: new.merc_order_no,
        payment,
        contract,
        contract_id: new.contract_id.or(known.contract_id),
        updated_at: new.updated_at.max(known.updated_at),
    }
}

/// Reads a status answer and checks it is about the order asked for.
fn parse_status(body: &str, merc_order_no: &str) -> Result<MerchantStatus, PaysignError> {
    let status = status::parse(body)?;
    if status.merc_order_no != merc_order_no {
        return Err(PaysignError::StatusMalformed {
            field: "mercOrderNo".to_string(),
            reason: "the answer is about another order".to_string(),
        });
    }
    Ok(status)
}

impl FlowState {
    /// The end of the time budget before the cashier opens.
    fn deadline_ms(&self) -> u64 {
        self.started_ms
            .unwrap_or(self.last_now_ms)
            .saturating_add(self.config.overall_deadline_ms)
    }

    fn on_ticket(&mut self, now: u64, body: &str) -> Action {
        let ticket = match ticket::parse(body) {
            Ok(ticket) => ticket,
            Err(error) => return self.finish_before_cashier(now, None, error),
        };
        let order = OrderRef {
            merc_order_no: ticket.merc_order_no,
            merc_contract_code: ticket.merc_contract_code,
        };
        // The orderStr's age is judged on the server's clock when the ticket carries it (the
        // prepay_id's 10 minutes run on the server's clock, and a phone's clock may be minutes
        // off); on the phone's clock otherwise.
        let checked = order_str::validate(
            &ticket.order_str,
            ticket.server_time_ms.unwrap_or(now),
            self.config.expected_app_id.as_deref(),
        );
        if let Err(error) = checked {
            return self.finish_before_cashier(now, Some(order), error);
        }
        if self.cashier_opened {
            // Unreachable through `step` (InCashier is entered once), kept as a guard on a state
            // string that was edited by hand.
            return self.finish_before_cashier(
                now,
                Some(order),
                PaysignError::Internal {
                    reason: "the cashier was already opened in this flow".to_string(),
                },
            );
        }
        self.cashier_opened = true;
        let action = Action::OpenCashier {
            order_str: ticket.order_str,
            merc_order_no: order.merc_order_no.clone(),
            merc_contract_code: order.merc_contract_code.clone(),
        };
        self.phase = Phase::InCashier {
            order,
            opened_ms: now,
        };
        action
    }

    /// After the cashier, whatever it answered: the first query goes at once, and polling runs
    /// for the confirmation window from now. The window is its own budget: the time spent before
    /// the cashier does not shorten it (that would cut confirmation short exactly when the
    /// network was slow, when it matters most).
    fn begin_confirm(&mut self, now: u64, order: OrderRef, cashier: CashierResult) -> Action {
        let merc_order_no = order.merc_order_no.clone();
        self.phase = Phase::Querying {
            confirm: Confirm {
                order,
                cashier,
                until_ms: now.saturating_add(self.config.confirm_deadline_ms),
                queries: 0,
                last_status: None,
                last_error: None,
            },
        };
        Action::QueryStatus { merc_order_no }
    }

    /// After a status answer that did not settle the outcome: wait and ask again, or stop.
    fn after_query(&mut self, now: u64, confirm: Confirm) -> Action {
        if now >= confirm.until_ms || confirm.queries >= self.config.max_status_queries() {
            return self.finish_unconfirmed(now, confirm);
        }
        let wait_ms = self
            .config
            .backoff_ms(confirm.queries)
            .min(confirm.until_ms - now);
        self.phase = Phase::Waiting { confirm };
        Action::Wait { wait_ms }
    }

    /// Polling found both states final.
    fn finish_confirmed(&mut self, now: u64, confirm: Confirm) -> Action {
        let Some(status) = confirm.last_status.clone() else {
            return self.finish_unconfirmed(now, confirm);
        };
        self.finish_with_status(now, confirm, status, None)
    }

    /// The window closed (or the query bound was reached) with something still open: report what
    /// is known. A payment the server confirmed stays confirmed; only what it did not confirm is
    /// pending or unknown.
    fn finish_unconfirmed(&mut self, now: u64, confirm: Confirm) -> Action {
        let reason = match (&confirm.last_error, &confirm.last_status) {
            (Some(error), _) => format!("after {} queries: {error}", confirm.queries),
            (None, Some(_)) => format!("still pending after {} queries", confirm.queries),
            (None, None) => "no status answer".to_string(),
        };
        match confirm.last_status.clone() {
            Some(status) => self.finish_with_status(now, confirm, status, Some(reason)),
            None => {
                let payment_kit_code = confirm.cashier.code();
                self.finish(
                    now,
                    Some(confirm.order),
                    PaymentOutcome::Unknown,
                    ContractOutcome::Unknown,
                    None,
                    Some(PaysignError::ConfirmTimedOut {
                        reason,
                        payment_kit_code,
                    }),
                )
            }
        }
    }

    /// The outcome from what the merchant server said (`open_reason` set when something is still
    /// open at the end of the window). The payment's state decides the error's family:
    /// - `PAID`: no error when signed, else a contract code (6001 not signed, 6002 unconfirmed);
    ///   never a cancel, a failure or anything retryable;
    /// - `NOT_PAID`: the cashier's own word when it said cancel (4000, payment `CANCELED`) or
    ///   pay failure (4001), else 4100 "confirmed not paid";
    /// - `PENDING`: 3004, money may have moved.
    fn finish_with_status(
        &mut self,
        now: u64,
        confirm: Confirm,
        status: MerchantStatus,
        open_reason: Option<String>,
    ) -> Action {
        let payment_kit_code = confirm.cashier.code();
        let (payment, error) = match status.payment {
            MerchantPayment::Paid => {
                let error = match (status.contract, open_reason) {
                    (MerchantContract::Signed, _) => None,
                    (MerchantContract::NotSigned, _) => {
                        Some(PaysignError::ContractNotSigned { payment_kit_code })
                    }
                    (MerchantContract::Pending, reason) => {
                        Some(PaysignError::ContractUnconfirmed {
                            reason: reason.unwrap_or_default(),
                            payment_kit_code,
                        })
                    }
                };
                (PaymentOutcome::Paid, error)
            }
            MerchantPayment::NotPaid => match &confirm.cashier {
                CashierResult::Failed { code, message } if *code == payment_kit::CANCELED => (
                    PaymentOutcome::Canceled,
                    Some(PaysignError::PaymentKit {
                        code: *code,
                        message: message.clone(),
                    }),
                ),
                CashierResult::Failed { code, message } if *code == payment_kit::PAY_FAILED => (
                    PaymentOutcome::NotPaid,
                    Some(PaysignError::PaymentKit {
                        code: *code,
                        message: message.clone(),
                    }),
                ),
                _ => (
                    PaymentOutcome::NotPaid,
                    Some(PaysignError::NotPaidConfirmed { payment_kit_code }),
                ),
            },
            MerchantPayment::Pending => (
                PaymentOutcome::Pending,
                Some(PaysignError::ConfirmTimedOut {
                    reason: open_reason.unwrap_or_default(),
                    payment_kit_code,
                }),
            ),
        };
        self.finish(
            now,
            Some(confirm.order),
            payment,
            status.contract.into(),
            status.contract_id,
            error,
        )
    }

    fn finish_before_cashier(
        &mut self,
        now: u64,
        order: Option<OrderRef>,
        error: PaysignError,
    ) -> Action {
        self.finish(
            now,
            order,
            PaymentOutcome::NotPaid,
            ContractOutcome::NotSigned,
            None,
            Some(error),
        )
    }

    fn finish(
        &mut self,
        now: u64,
        order: Option<OrderRef>,
        payment: PaymentOutcome,
        contract: ContractOutcome,
        contract_id: Option<String>,
        error: Option<PaysignError>,
    ) -> Action {
        let (merc_order_no, merc_contract_code) = match order {
            Some(o) => (Some(o.merc_order_no), Some(o.merc_contract_code)),
            None => (None, None),
        };
        let outcome = PayAndSignOutcome {
            payment,
            contract,
            merc_order_no,
            merc_contract_code,
            contract_id,
            elapsed_ms: now.saturating_sub(self.started_ms.unwrap_or(now)),
            error,
        };
        self.phase = Phase::Done {
            outcome: outcome.clone(),
        };
        Action::Done { outcome }
    }
}

impl CashierResult {
    /// The Payment Kit code, when the cashier rejected.
    fn code(&self) -> Option<i64> {
        match self {
            CashierResult::Failed { code, .. } => Some(*code),
            CashierResult::Returned | CashierResult::Unknown => None,
        }
    }
}

/// Caller-supplied text is kept short.
fn clip(message: &str) -> String {
    message.chars().take(MAX_MESSAGE_CHARS).collect()
}
