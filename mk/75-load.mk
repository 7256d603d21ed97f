# Load and faults: the real paysign-merchant and paysign-sandbox binaries as separate processes on
# loopback, driven by crates/paysign-load (figures and counts: docs/reliability.md).
#   load          release builds; the callback endpoint (pre-signed notifications, verify + store)
#                 at 1, 4, 16 and 64 in flight against the SM2 verify bound of the same run, p50/p99,
#                 errors, on SQLite and on a throwaway PostgreSQL; order creation through the merchant
#                 against the bare pre-order to the sandbox. LOAD_ARGS passes options
#                 (e.g. LOAD_ARGS="--callbacks 800 --concurrency 4,16").
#   faults        release builds; kill -9 of the merchant while the sandbox delivers callbacks
#                 (SQLite, PostgreSQL), two instances on one PostgreSQL; counts, fails on a violation
#   faults-quick  the same runs with fewer orders on debug builds (part of make test, about 30 s once built)
.PHONY: load faults faults-quick load-bins
TEST_STEPS += faults-quick

LOAD_BINS := -p paysign-merchant --bin paysign-merchant -p paysign-sandbox --bin paysign-sandbox -p paysign-load --bin paysign-load

load-bins:
	$(CARGO) build --locked --release $(LOAD_BINS)

load: load-bins
	scripts/pg-test.sh run -- $(CARGO_TARGET_DIR)/release/paysign-load load $(LOAD_ARGS)

faults: load-bins
	scripts/pg-test.sh run -- $(CARGO_TARGET_DIR)/release/paysign-load faults

faults-quick:
	$(CARGO) build --locked $(LOAD_BINS)
	scripts/pg-test.sh run -- $(CARGO_TARGET_DIR)/debug/paysign-load faults --quick
