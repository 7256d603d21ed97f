//! "Something happened to this order": every state change the sandbox makes is appended to the
//! event log (SQLite, so `/sandbox/events` can list it) and published on a broadcast channel.
//! The callback dispatcher reads the log and is woken by this channel: each event maps to at
//! most one notification (see `notifications`, `dispatcher`).

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Kinds of events, spelled as they appear in the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// Payment succeeded: Payment Kit sends the payment notification.
    OrderPaid,
    /// Payment failed in the cashier: no notification (spec §0 step 9).
    OrderFailed,
    /// The order expired unpaid: no notification.
    OrderExpired,
    /// The contract was signed: Payment Kit sends the contract notification.
    ContractSigned,
    /// The contract was ended (merchant API or user): the unsign notification.
    ContractUnsigned,
    /// A refund finished (success or failure): the refund notification.
    RefundFinished,
    /// A withholding debit finished (success or failure): its result notification.
    DebitFinished,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPaid => "ORDER_PAID",
            Self::OrderFailed => "ORDER_FAILED",
            Self::OrderExpired => "ORDER_EXPIRED",
            Self::ContractSigned => "CONTRACT_SIGNED",
            Self::ContractUnsigned => "CONTRACT_UNSIGNED",
            Self::RefundFinished => "REFUND_FINISHED",
            Self::DebitFinished => "DEBIT_FINISHED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ORDER_PAID" => Self::OrderPaid,
            "ORDER_FAILED" => Self::OrderFailed,
            "ORDER_EXPIRED" => Self::OrderExpired,
            "CONTRACT_SIGNED" => Self::ContractSigned,
            "CONTRACT_UNSIGNED" => Self::ContractUnsigned,
            "REFUND_FINISHED" => Self::RefundFinished,
            "DEBIT_FINISHED" => Self::DebitFinished,
            _ => return None,
        })
    }
}

/// One event: what happened, to which merchant's order, contract or refund (`key` is its
/// mercOrderNo — of an order or a debit —, mercContractCode or mercRefundOrderNo), and its place in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: EventKind,
    pub merc_no: String,
    pub key: String,
}

/// Live subscribers of events (the callback dispatcher, tests).
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<SandboxEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SandboxEvent> {
        self.sender.subscribe()
    }

    /// Publishes committed events; having no subscriber is normal.
    pub fn publish(&self, events: Vec<SandboxEvent>) {
        for e in events {
            let _ = self.sender.send(e);
        }
    }
}
