# Merchant server: its test suite once more, on a throwaway PostgreSQL cluster (the SQLite half
# runs in rust-test). scripts/pg-test.sh starts the cluster on a free loopback port, as an
# unprivileged user, and removes it afterwards.
#   merchant-pg-test   the flows and batches suites' PostgreSQL tests (names with "postgres") against
#                      that cluster
#   bench-merchant     the callback writer alone by connection and batch size (SQLite file), then
#                      the callback endpoint (verify + store) on loopback vs the SM2 verify bound,
#                      release build, on SQLite and on a throwaway PostgreSQL, then PostgreSQL's
#                      own CPU per stored callback with pgbench (scripts/pg-floor.sh)
.PHONY: merchant-pg-test bench-merchant
TEST_STEPS += merchant-pg-test

merchant-pg-test:
	scripts/pg-test.sh run -- $(CARGO) test --locked -p paysign-merchant --test flows --test batches postgres -- --test-threads=2

bench-merchant:
	$(CARGO) bench --locked -p paysign-merchant --bench writer
	scripts/pg-test.sh run -- $(CARGO) bench --locked -p paysign-merchant --bench callbacks
	scripts/pg-test.sh run -- scripts/pg-floor.sh
