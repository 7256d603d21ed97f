# ArkTS: the HAR's shell, the sample app and their tests, checked and run on this machine.
#   arkts-check   type check + ArkTS strict lint of every .ets (ohos-typescript's compiler API)
#   arkts-format  oxk format check of every .ets and .json5
#   arkts-json5   the DevEco project files parse and have the fields DevEco needs
#   arkts-hypium  the hypium suites on Node, over the host build of libpaysign (make host-lib)
#                 and the real paysign-sandbox (make sandbox-bins)
#   sandbox-bins  the paysign-sandbox binary and its demo-orders example, for the sandboxCashier suite
.PHONY: arkts-test arkts-check arkts-format arkts-json5 arkts-hypium sandbox-bins
TEST_STEPS += arkts-test

NODE ?= node
ARKTS_NPM := node_modules/.package-lock.json

arkts-test: arkts-check arkts-format arkts-json5 arkts-hypium

# npm packages pinned by package-lock.json (setup.sh installs them too; this covers a direct call).
$(ARKTS_NPM): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

arkts-check: $(ARKTS_NPM)
	$(NODE) tests/arkts/check.mjs

arkts-format: $(ARKTS_NPM)
	$(NODE) tests/arkts/format.mjs

arkts-json5: $(ARKTS_NPM)
	$(NODE) tests/arkts/json5.mjs

sandbox-bins:
	$(CARGO) build --locked -p paysign-sandbox --bin paysign-sandbox --example demo-orders

arkts-hypium: host-lib sandbox-bins $(ARKTS_NPM)
	$(NODE) tests/arkts/node/run.mjs
