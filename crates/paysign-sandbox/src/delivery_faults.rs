//! Delivery faults, armed through the operator API (`POST /sandbox/callback-faults`), so a
//! merchant server's callback handling can be tested against what the network and Payment Kit
//! really do: the same callback several times (some copies at once), late, never, or out of
//! order. Each counter is consumed by the next notifications the sandbox creates.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// What to do to the next notifications. Counters count notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct DeliveryFaultPlan {
    /// Never send these (the merchant must find the state with the query APIs).
    pub drop: u32,
    /// Send these `copies` times on their first attempt, all with the same callbackId.
    pub duplicate: u32,
    /// Copies of a duplicated callback, 2 or more.
    pub copies: u32,
    /// How many of the copies are sent at the same moment (the rest follow one by one).
    pub concurrent_copies: u32,
    /// Send these `delay_ms` late.
    pub delay: u32,
    pub delay_ms: u64,
    /// Hold the next this-many notifications and send them in reverse order once the last of
    /// them exists (2: the contract notification arrives before the payment's).
    pub out_of_order: u32,
}

impl Default for DeliveryFaultPlan {
    fn default() -> Self {
        Self {
            drop: 0,
            duplicate: 0,
            copies: 2,
            concurrent_copies: 2,
            delay: 0,
            delay_ms: 0,
            out_of_order: 0,
        }
    }
}

impl DeliveryFaultPlan {
    pub fn validate(&self) -> Result<(), String> {
        if self.duplicate > 0 && !(2..=20).contains(&self.copies) {
            return Err("copies must be 2 to 20".to_owned());
        }
        if self.concurrent_copies > self.copies {
            return Err("concurrentCopies cannot exceed copies".to_owned());
        }
        if self.delay_ms > 3_600_000 {
            return Err("delayMs is at most an hour".to_owned());
        }
        if self.out_of_order == 1 || self.out_of_order > 100 {
            return Err("outOfOrder is a group of 2 to 100 notifications (0: off)".to_owned());
        }
        Ok(())
    }
}

/// What the faults did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultCounts {
    pub dropped: u64,
    pub duplicated: u64,
    pub delayed: u64,
    pub reordered: u64,
}

/// The fate of one new notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    pub drop: bool,
    /// (copies, concurrent copies) of its first attempt.
    pub copies: (u32, u32),
    pub delay_ms: u64,
    /// Held for an out-of-order group; `release` says the group is now complete.
    pub hold: bool,
    pub release: bool,
}

#[derive(Debug, Default)]
struct Armed {
    plan: DeliveryFaultPlan,
    counts: DeliveryFaultCounts,
    /// Notifications held so far for the current out-of-order group.
    held: u32,
}

#[derive(Debug, Default)]
pub struct DeliveryFaults {
    armed: Mutex<Armed>,
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

impl DeliveryFaults {
    fn lock(&self) -> MutexGuard<'_, Armed> {
        self.armed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the armed plan (a half-gathered out-of-order group is released by the caller).
    pub fn arm(&self, plan: DeliveryFaultPlan) {
        let mut armed = self.lock();
        armed.plan = plan;
        armed.held = 0;
    }

    pub fn plan(&self) -> DeliveryFaultPlan {
        self.lock().plan.clone()
    }

    pub fn counts(&self) -> DeliveryFaultCounts {
        self.lock().counts.clone()
    }

    /// Decides what happens to the next notification, consuming the armed counters.
    pub fn next(&self) -> Fate {
        let mut armed = self.lock();
        let Armed {
            plan, counts, held, ..
        } = &mut *armed;
        let mut fate = Fate {
            drop: false,
            copies: (1, 1),
            delay_ms: 0,
            hold: false,
            release: false,
        };
        if take(&mut plan.drop) {
            counts.dropped += 1;
            fate.drop = true;
            return fate;
        }
        if take(&mut plan.duplicate) {
            counts.duplicated += 1;
            fate.copies = (plan.copies, plan.concurrent_copies.max(1));
        }
        if take(&mut plan.delay) {
            counts.delayed += 1;
            fate.delay_ms = plan.delay_ms;
        }
        if plan.out_of_order > 0 {
            counts.reordered += 1;
            fate.hold = true;
            *held += 1;
            if *held >= plan.out_of_order {
                fate.release = true;
                plan.out_of_order = 0;
                *held = 0;
            }
        }
        fate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_consumed_one_notification_at_a_time() {
        let faults = DeliveryFaults::default();
        faults.arm(DeliveryFaultPlan {
            drop: 1,
            duplicate: 1,
            copies: 3,
            concurrent_copies: 2,
            delay: 2,
            delay_ms: 50,
            ..DeliveryFaultPlan::default()
        });
        assert!(faults.next().drop);
        let second = faults.next();
        assert!(!second.drop);
        assert_eq!((second.copies, second.delay_ms), ((3, 2), 50));
        let third = faults.next();
        assert_eq!((third.copies, third.delay_ms), ((1, 1), 50));
        let fourth = faults.next();
        assert_eq!(
            (fourth.copies, fourth.delay_ms, fourth.hold),
            ((1, 1), 0, false)
        );
        assert_eq!(
            faults.counts(),
            DeliveryFaultCounts {
                dropped: 1,
                duplicated: 1,
                delayed: 2,
                reordered: 0
            }
        );
    }

    #[test]
    fn an_out_of_order_group_is_released_by_its_last_member() {
        let faults = DeliveryFaults::default();
        faults.arm(DeliveryFaultPlan {
            out_of_order: 3,
            ..DeliveryFaultPlan::default()
        });
        let fates: Vec<Fate> = (0..4).map(|_| faults.next()).collect();
        assert_eq!(
            fates
                .iter()
                .map(|f| (f.hold, f.release))
                .collect::<Vec<_>>(),
            [(true, false), (true, false), (true, true), (false, false)]
        );
    }

    #[test]
    fn plans_that_cannot_work_are_refused() {
        let bad = [
            DeliveryFaultPlan {
                duplicate: 1,
                copies: 1,
                concurrent_copies: 1,
                ..DeliveryFaultPlan::default()
            },
            DeliveryFaultPlan {
                copies: 2,
                concurrent_copies: 3,
                ..DeliveryFaultPlan::default()
            },
            DeliveryFaultPlan {
                out_of_order: 1,
                ..DeliveryFaultPlan::default()
            },
        ];
        for plan in bad {
            assert!(plan.validate().is_err(), "{plan:?}");
        }
        assert!(DeliveryFaultPlan::default().validate().is_ok());
    }
}
