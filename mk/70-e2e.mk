# End to end over the real parts: the HAR's ArkTS shell on Node over the host build of libpaysign,
# paysign-merchant (the reference merchant server) and paysign-sandbox (Payment Kit), on loopback.
#   e2e-bins  the two server binaries (debug builds; paysign-merchant once its crate is in the tree)
#   demo-run  the five scenarios of `make demo`, one line per step (DEMO_ARGS=--json for JSON lines)
#   e2e       the scenarios and the fault matrix under node:test; each test checks that the app's
#             outcome, the merchant's database and Payment Kit's view agree; prints the figures.
#             Runs inside scripts/pg-test.sh's throwaway PostgreSQL cluster, so the merchant server
#             is also tried on PostgreSQL.
.PHONY: e2e e2e-bins demo-run
TEST_STEPS += e2e

NODE ?= node
E2E_BINS := paysign-sandbox $(if $(wildcard crates/paysign-merchant/Cargo.toml),paysign-merchant)

e2e-bins:
	$(CARGO) build --locked $(foreach b,$(E2E_BINS),-p $(b) --bin $(b))

demo-run: host-lib e2e-bins $(ARKTS_NPM)
	$(NODE) scripts/demo.mjs $(DEMO_ARGS)

# One test file at a time: each starts its own servers, and the machine has two cores.
e2e: host-lib e2e-bins $(ARKTS_NPM)
	scripts/pg-test.sh run -- $(NODE) --test --test-concurrency=1 tests/e2e/
