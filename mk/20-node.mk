# Node: the host build of libpaysign loaded in Node.js (Node-API is the ABI ArkTS's NAPI implements).
#   host-lib    debug host build, copied to target/node/paysign.node (the HAR tests and the demo load it)
#   dts         regenerate paysign/src/main/cpp/types/libpaysign/ (index.d.ts, oh-package.json5)
#   dts-check   fail when the committed types differ from a fresh generation
#   node-test   dts-check, then node:test over the real library: every export, the hostile corpus
#   bench-node  release build; parseOrderStr vs the same checks in plain JS, stepFlow per call, and
#               the same work in Rust alone (crates/paysign-core/benches/core.rs)
.PHONY: host-lib host-lib-release dts dts-check node-test bench-node
TEST_STEPS += node-test

NODE ?= node
HOST_LIB := target/node/paysign.node
HOST_LIB_RELEASE := target/node/paysign-release.node

# Copied by rename, so a Node process that has the old file loaded keeps a valid mapping.
define install-node-addon
	mkdir -p target/node
	cp $(1) $(2).tmp
	mv -f $(2).tmp $(2)
endef

host-lib:
	$(CARGO) build --locked -p paysign
	$(call install-node-addon,$(CARGO_TARGET_DIR)/debug/libpaysign.so,$(HOST_LIB))

host-lib-release:
	$(CARGO) build --locked --release -p paysign
	$(call install-node-addon,$(CARGO_TARGET_DIR)/release/libpaysign.so,$(HOST_LIB_RELEASE))
	@echo "host library (release, stripped): $$(stat -c %s $(HOST_LIB_RELEASE)) bytes"

dts:
	scripts/gen-dts

dts-check:
	scripts/gen-dts --check

node-test: dts-check host-lib
	$(NODE) --test tests/node/

bench-node: host-lib-release
	PAYSIGN_NODE_ADDON=$(HOST_LIB_RELEASE) $(NODE) scripts/bench-node.mjs
	@echo "the same work in Rust, without N-API (paysign-core, release):"
	$(CARGO) bench --locked -p paysign-core --bench core
