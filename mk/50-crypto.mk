# paysign-crypto: its tests (vectors, OpenSSL interop, properties, CLI) run in rust-test.
# `make bench-crypto` runs the criterion benchmarks next to `openssl speed sm2` and prints the
# verify ratio (not part of `make test`: it takes minutes and its figures are machine-bound).
.PHONY: bench-crypto
bench-crypto: setup
	crates/paysign-crypto/scripts/bench-vs-openssl.sh
