#!/usr/bin/env bash
# Builds libpaysign.so for every device target (release: LTO, stripped, SONAME libpaysign.so) and places
# it in paysign/libs/<abi>/. Uses the real NDK when OHOS_NDK_HOME is set, else builds the stand-in first.
# std is built from rust-src (-Zbuild-std) into the shared target dir; the flags below never change
# between calls, so std is compiled once per target and reused by every later call.
# All settings go through the environment of this cargo call only: host builds are not affected.
#   usage: build-device-libs.sh [TARGET...]     (default: every device target)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${OHOS_TARGETS[@]}")

if [ -z "${OHOS_NDK_HOME:-}" ]; then
  "$here/build-standin-ndk.sh" "${targets[@]}"
  ndk_kind="stand-in NDK (target/ohos-ndk-standin)"
else
  [ -x "$OHOS_NDK_HOME/native/llvm/bin/clang" ] || {
    echo "device: OHOS_NDK_HOME=$OHOS_NDK_HOME has no native/llvm/bin/clang (point it at the SDK's openharmony folder)" >&2
    exit 1
  }
  ndk_kind="OHOS NDK"
fi
ndk=$(ohos_ndk_home)
if ohos_is_standin; then ar=$(command -v llvm-ar); else ar="$ndk/native/llvm/bin/llvm-ar"; fi

# std without the `backtrace` feature: its symbolizer (addr2line, gimli, miniz_oxide) is dead weight on
# a phone, where nobody reads a stderr backtrace; optimize_for_size picks std's smaller algorithms.
# Together they took the first library (version() only) from 301 KB to 115 KB. panic-unwind stays:
# #[napi(catch_unwind)] needs it. (Where the bytes go now: make har's size report.)
std_features=${OHOS_BUILD_STD_FEATURES-panic-unwind,optimize_for_size}

for target in "${targets[@]}"; do
  triple_env=$(tr 'a-z-' 'A-Z_' <<<"$target")
  triple_cc=${target//-/_}
  abi=$(ohos_abi "$target")
  map=$(ohos_link_map "$target")
  echo "device: building libpaysign.so for $target with the $ndk_kind"
  start=$SECONDS
  # The soname and the link map are arguments of the final link only (`cargo rustc`), so they do not
  # touch the fingerprint of std or the dependencies.
  (cd "$OHOS_REPO_ROOT" && env \
    OHOS_NDK_HOME="$ndk" \
    OHOS_CLANG_TARGET="$target" \
    "CARGO_TARGET_${triple_env}_LINKER=$here/ohos-clang" \
    "CC_${triple_cc}=$here/ohos-clang" \
    "AR_${triple_cc}=$ar" \
    RUSTC_BOOTSTRAP=1 \
    cargo rustc -p paysign --lib --crate-type cdylib --release --locked --target "$target" \
    -Zbuild-std=std,panic_abort -Zbuild-std-features="$std_features" \
    -- -C link-arg=-Wl,-soname,libpaysign.so -C "link-arg=-Wl,-Map=$map")
  out=$(ohos_cargo_lib "$target")
  mkdir -p "$OHOS_REPO_ROOT/paysign/libs/$abi"
  cp "$out" "$OHOS_REPO_ROOT/paysign/libs/$abi/libpaysign.so"
  echo "device: paysign/libs/$abi/libpaysign.so $(stat -c %s "$out") bytes ($((SECONDS - start)) s)"
done
