# Rust: formatting, lints and the unit, property and integration tests of every crate.
.PHONY: rust-fmt rust-clippy rust-test
TEST_STEPS += rust-fmt rust-clippy rust-test

rust-fmt:
	$(CARGO) fmt --all --check

rust-clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

rust-test:
	$(CARGO) test --workspace --locked
