//! The outcome of one pay-and-sign: payment and contract, each with its own state, because a user
//! can pay and then cancel signing (or sign and have the payment fail).

use serde::{Deserialize, Serialize};

use crate::error::PaysignError;
use crate::status::{MerchantContract, MerchantPayment};

/// What happened to the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentOutcome {
    /// Confirmed paid by the merchant server.
    Paid,
    /// Confirmed not paid (or the cashier never opened).
    NotPaid,
    /// The user cancelled in the cashier and the merchant server saw no payment.
    Canceled,
    /// The merchant server still reports it in progress.
    Pending,
    /// Nothing could be confirmed: money may have moved.
    Unknown,
}

/// What happened to the withholding contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContractOutcome {
    Signed,
    NotSigned,
    Pending,
    Unknown,
}

impl PaymentOutcome {
    /// Known for good: paid, not paid or cancelled (not paid).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentOutcome::Paid | PaymentOutcome::NotPaid | PaymentOutcome::Canceled
        )
    }

    /// The wire name (`PAID`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::Paid => "PAID",
            PaymentOutcome::NotPaid => "NOT_PAID",
            PaymentOutcome::Canceled => "CANCELED",
            PaymentOutcome::Pending => "PENDING",
            PaymentOutcome::Unknown => "UNKNOWN",
        }
    }
}

impl ContractOutcome {
    /// Known for good: signed or not signed.
    pub fn is_final(self) -> bool {
        matches!(self, ContractOutcome::Signed | ContractOutcome::NotSigned)
    }

    /// The wire name (`SIGNED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ContractOutcome::Signed => "SIGNED",
            ContractOutcome::NotSigned => "NOT_SIGNED",
            ContractOutcome::Pending => "PENDING",
            ContractOutcome::Unknown => "UNKNOWN",
        }
    }
}

impl From<MerchantPayment> for PaymentOutcome {
    fn from(value: MerchantPayment) -> Self {
        match value {
            MerchantPayment::Paid => PaymentOutcome::Paid,
            MerchantPayment::NotPaid => PaymentOutcome::NotPaid,
            MerchantPayment::Pending => PaymentOutcome::Pending,
        }
    }
}

impl From<MerchantContract> for ContractOutcome {
    fn from(value: MerchantContract) -> Self {
        match value {
            MerchantContract::Signed => ContractOutcome::Signed,
            MerchantContract::NotSigned => ContractOutcome::NotSigned,
            MerchantContract::Pending => ContractOutcome::Pending,
        }
    }
}

/// The result of one pay-and-sign flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayAndSignOutcome {
    pub payment: PaymentOutcome,
    pub contract: ContractOutcome,
    pub merc_order_no: Option<String>,
    pub merc_contract_code: Option<String>,
    pub contract_id: Option<String>,
    /// From `STARTED` to the end, by the caller's clock.
    pub elapsed_ms: u64,
    /// Set when something went wrong or is still open. Its row agrees with the outcome: a paid
    /// order carries no retryable error (at most a contract code, 6xxx), and the row says money
    /// may have moved exactly when [`PayAndSignOutcome::unknown_outcome`] does.
    pub error: Option<PaysignError>,
}

impl PayAndSignOutcome {
    /// Payment and contract both confirmed done.
    pub fn is_success(&self) -> bool {
        self.payment == PaymentOutcome::Paid && self.contract == ContractOutcome::Signed
    }

    /// Nothing about this order will change any more: the payment is known (confirmed by the
    /// merchant server, or the cashier never took the order) and so is the contract. An outcome
    /// that is not final names its order, to be confirmed again later.
    pub fn is_final(&self) -> bool {
        self.payment.is_final() && self.contract.is_final()
    }

    /// Money may have moved and nobody has confirmed whether it did: the app must not offer to
    /// pay again for this order's goods before the merchant server says `NOT_PAID`.
    pub fn unknown_outcome(&self) -> bool {
        !self.payment.is_final()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for p in [
            PaymentOutcome::Paid,
            PaymentOutcome::NotPaid,
            PaymentOutcome::Canceled,
            PaymentOutcome::Pending,
            PaymentOutcome::Unknown,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for c in [
            ContractOutcome::Signed,
            ContractOutcome::NotSigned,
            ContractOutcome::Pending,
            ContractOutcome::Unknown,
        ] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn merchant_states_map_one_to_one() {
        assert_eq!(
            PaymentOutcome::from(MerchantPayment::Paid),
            PaymentOutcome::Paid
        );
        assert_eq!(
            PaymentOutcome::from(MerchantPayment::NotPaid),
            PaymentOutcome::NotPaid
        );
        assert_eq!(
            PaymentOutcome::from(MerchantPayment::Pending),
            PaymentOutcome::Pending
        );
        assert_eq!(
            ContractOutcome::from(MerchantContract::Signed),
            ContractOutcome::Signed
        );
        assert_eq!(
            ContractOutcome::from(MerchantContract::NotSigned),
            ContractOutcome::NotSigned
        );
        assert_eq!(
            ContractOutcome::from(MerchantContract::Pending),
            ContractOutcome::Pending
        );
    }
}
