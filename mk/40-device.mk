# Device build: libpaysign.so for HarmonyOS phones (aarch64) and the emulator (x86_64), and the .har.
#   device-libs  both libraries into paysign/libs/<abi>/ (real NDK when OHOS_NDK_HOME is set, else the
#                stand-in NDK built from Debian packages into target/ohos-ndk-standin/)
#   har          device-libs, the .d.ts, the size report and paysign-<version>.har
#   device-test  ELF checks and smoke loads of both libraries (qemu-aarch64, native x86_64), and the
#                .har's listing
# Nothing here touches host builds: the device toolchain is passed through the environment of the
# device cargo calls only. std is built from rust-src once per target (same flags on every call).
.PHONY: har device-libs device-test device-elf-check device-smoke device-size
TEST_STEPS += device-test

device-libs: setup
	scripts/ohos/build-device-libs.sh

device-size: device-libs
	scripts/ohos/size-report.sh aarch64-unknown-linux-ohos

# dts (mk/20-node.mk) regenerates paysign/src/main/cpp/types/libpaysign/ from the Rust definitions.
har: device-libs dts device-size
	scripts/ohos/pack-har.sh

device-elf-check: device-libs
	scripts/ohos/elf-check.sh

device-smoke: device-libs
	tests/smoke/run.sh aarch64-unknown-linux-ohos
	tests/smoke/run.sh x86_64-unknown-linux-ohos

device-test: device-elf-check device-smoke har
