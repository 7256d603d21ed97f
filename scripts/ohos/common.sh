# Shared settings of the device-build scripts (sourced, not run).
# The device targets, their OHOS library folder names and HAR ABI folders, in build order.
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by the scripts that source this file
OHOS_TARGETS=(aarch64-unknown-linux-ohos x86_64-unknown-linux-ohos)

# Repo root and the shared cargo target dir.
OHOS_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${CARGO_TARGET_DIR:=$OHOS_REPO_ROOT/target}"
export CARGO_TARGET_DIR

# Where the link-only NDK stand-in is generated (never committed).
OHOS_STANDIN_DIR="$CARGO_TARGET_DIR/ohos-ndk-standin"

# aarch64-unknown-linux-ohos -> aarch64
ohos_arch() { echo "${1%%-*}"; }

# The NDK's per-target library folder name: aarch64-linux-ohos, x86_64-linux-ohos.
ohos_libdir() { echo "$(ohos_arch "$1")-linux-ohos"; }

# The HAR's ABI folder: arm64-v8a, x86_64.
ohos_abi() {
  case "$(ohos_arch "$1")" in
    aarch64) echo arm64-v8a ;;
    x86_64) echo x86_64 ;;
    *) echo "unsupported target $1" >&2; return 1 ;;
  esac
}

# Debian's architecture name for a target: arm64, amd64.
ohos_debarch() {
  case "$(ohos_arch "$1")" in
    aarch64) echo arm64 ;;
    x86_64) echo amd64 ;;
    *) echo "unsupported target $1" >&2; return 1 ;;
  esac
}

# The NDK in use: the real one when OHOS_NDK_HOME is set, else the stand-in.
ohos_ndk_home() { echo "${OHOS_NDK_HOME:-$OHOS_STANDIN_DIR}"; }

# True when the NDK in use is the stand-in (it carries a marker file).
ohos_is_standin() { [ -f "$(ohos_ndk_home)/STANDIN" ]; }

# Where the built, stripped library of a target lands (cargo's own output).
ohos_cargo_lib() { echo "$CARGO_TARGET_DIR/$1/release/libpaysign.so"; }

# Where the linker map of the last link of a target is kept (size report input).
ohos_link_map() { echo "$CARGO_TARGET_DIR/$1/release/libpaysign.map"; }
