//! `/metrics` in the Prometheus text format (prometheus-client): callbacks by kind and result,
//! Payment Kit call latency by API and outcome, the reconcile backlog by kind, orders created,
//! callbacks per group-commit batch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallbackLabels {
    pub kind: String,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallLabels {
    pub api: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// The server's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    callbacks: Family<CallbackLabels, Counter>,
    payment_kit: Family<CallLabels, Histogram>,
    payment_kit_calls: Family<CallLabels, Counter>,
    backlog: Family<KindLabels, Gauge>,
    orders: Counter,
    callback_batches: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("paysign_merchant");
        let callbacks = Family::<CallbackLabels, Counter>::default();
        registry.register(
            "callbacks",
            "Payment Kit notifications received, by kind and result",
            callbacks.clone(),
        );
        let payment_kit = Family::<CallLabels, Histogram>::new_with_constructor(|| {
            // 5 ms .. ~20 s
            Histogram::new(exponential_buckets(0.005, 2.0, 13))
        });
        registry.register(
            "payment_kit_call_seconds",
            "Latency of Payment Kit API calls, by API and outcome",
            payment_kit.clone(),
        );
        let payment_kit_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "payment_kit_calls",
            "Payment Kit API calls, by API and outcome",
            payment_kit_calls.clone(),
        );
        let backlog = Family::<KindLabels, Gauge>::default();
        registry.register(
            "reconcile_backlog",
            "Pending items past their check time, by kind",
            backlog.clone(),
        );
        let orders = Counter::default();
        registry.register(
            "orders_created",
            "Pay-and-sign orders created",
            orders.clone(),
        );
        // 1 .. 64 (commit::MAX_BATCH)
        let callback_batches = Histogram::new(exponential_buckets(1.0, 2.0, 7));
        registry.register(
            "callback_batch_size",
            "Callbacks stored per group-commit transaction",
            callback_batches.clone(),
        );
        Metrics {
            registry: Arc::new(Mutex::new(registry)),
            callbacks,
            payment_kit,
            payment_kit_calls,
            backlog,
            orders,
            callback_batches,
        }
    }

    /// One group-commit batch of `size` callbacks was applied.
    pub fn callback_batch(&self, size: usize) {
        self.callback_batches.observe(size as f64);
    }

    pub fn callback(&self, kind: &str, result: &str) {
        self.callbacks
            .get_or_create(&CallbackLabels {
                kind: kind.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// How many callbacks of a kind ended with a result (tests and the bench read it).
    pub fn callback_count(&self, kind: &str, result: &str) -> u64 {
        self.callbacks
            .get_or_create(&CallbackLabels {
                kind: kind.to_owned(),
                result: result.to_owned(),
            })
            .get()
    }

    pub fn observe_payment_kit(&self, api: &str, outcome: &str, elapsed: Duration) {
        let labels = CallLabels {
            api: api.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.payment_kit
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.payment_kit_calls.get_or_create(&labels).inc();
    }

    /// How many calls of an API ended with an outcome (`ok`, `refused`, `unknown`, `error`).
    pub fn payment_kit_calls(&self, api: &str, outcome: &str) -> u64 {
        self.payment_kit_calls
            .get_or_create(&CallLabels {
                api: api.to_owned(),
                outcome: outcome.to_owned(),
            })
            .get()
    }

    pub fn set_backlog(&self, kind: &str, value: i64) {
        self.backlog
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .set(value);
    }

    pub fn order_created(&self) {
        self.orders.inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
                out.clear();
            }
        }
        out
    }
}
