# paysign: every entry point a developer, QA or CI uses.
#   make demo   run the pay-and-sign flow end to end on this machine
#   make test   everything CI runs (installs what a fresh machine lacks first)
# Each area keeps its own rules in mk/<area>.mk and appends its test step to TEST_STEPS.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TERM_COLOR ?= never
CARGO ?= cargo

TEST_STEPS :=
include $(sort $(wildcard mk/*.mk))

.PHONY: help setup test test-steps demo
help:
	@echo "make demo   pay and sign end to end over the real parts (HAR shell, libpaysign, merchant server, sandbox)"
	@echo "make e2e    the end-to-end suite: the demo scenarios and a fault matrix (part of make test)"
	@echo "make test   formatting, lints and every test suite (what CI runs)"
	@echo "make har    the device libraries and paysign-<version>.har"
	@echo "make fuzz   the libFuzzer targets, 60 s each (docs/reliability.md)"
	@echo "make load   the merchant server under load, as a process on loopback: callbacks vs the SM2 bound, order creation"
	@echo "make faults kill -9 of the merchant while callbacks flow, two instances on one PostgreSQL (counts)"

setup:
	@scripts/setup.sh

# Steps run one after another, in the order the fragments list them: the machine has two cores
# and each step already uses both.
test: setup
	@$(MAKE) --no-print-directory test-steps

test-steps: $(TEST_STEPS)

demo: setup
	@$(MAKE) --no-print-directory demo-run
