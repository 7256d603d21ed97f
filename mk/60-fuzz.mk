# Fuzzing: the libFuzzer targets of fuzz/ (bodies in crates/paysign-fuzz). Not part of `make test`;
# the committed corpus is, replayed on stable by crates/paysign-fuzz/tests/corpus_replay.rs.
#   make fuzz                     build, then every target for FUZZ_SECONDS (default 60) each, one
#                                 at a time, at nice 19
#   make fuzz FUZZ_RUNS=10000000  a count per target instead of a time
#   make fuzz FUZZ_TARGETS="canonical order_str"
#   make fuzz-merge               fold inputs with new coverage into fuzz/corpus (review, then commit)
# Crashes land in fuzz/artifacts/<target>/; each becomes a regression test (docs/reliability.md).
.PHONY: fuzz fuzz-build fuzz-merge
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_TARGETS ?= $(shell fuzz/run.sh list)
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))

fuzz-build: setup
	fuzz/run.sh build

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t ($(FUZZ_LIMIT))"; \
		nice -n 19 fuzz/run.sh run $$t $(FUZZ_LIMIT) -print_final_stats=1 || exit 1; \
	done

fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do nice -n 19 fuzz/run.sh merge $$t || exit 1; done
