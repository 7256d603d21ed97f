#!/usr/bin/env bash
# The libFuzzer targets of fuzz/fuzz_targets, built and run without cargo-fuzz or a nightly toolchain.
#
#   fuzz/run.sh build                      build every target (instrumented, release, fuzz/target)
#   fuzz/run.sh run <target> [libFuzzer flags...]
#                                          fuzz one target; new inputs go to fuzz/target/corpus/<target>,
#                                          the committed fuzz/corpus/<target> is read as seeds, crashes
#                                          land in fuzz/artifacts/<target>/
#   fuzz/run.sh merge <target>             add to fuzz/corpus/<target> only the working inputs that
#                                          reach coverage the committed ones do not
#   fuzz/run.sh list                       the target names
#
# The coverage flags are cargo-fuzz's; none of them needs nightly. SANITIZER=address adds ASan
# (a nightly flag, allowed on stable by RUSTC_BOOTSTRAP=1). Without it, panics, overflow checks and
# debug assertions are what a run catches: the code under test is safe Rust.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CARGO_TARGET_DIR="$here/target"
export RUSTC_BOOTSTRAP=1
triple="$(rustc -vV | sed -n 's/^host: //p')"
flags=(
    --cfg fuzzing
    -Cpasses=sancov-module
    -Cllvm-args=-sanitizer-coverage-level=4
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
    -Cllvm-args=-sanitizer-coverage-pc-table
    -Cllvm-args=-sanitizer-coverage-trace-compares
    -Cdebug-assertions
    -Coverflow-checks
    -Cforce-frame-pointers
)
if [[ -n "${SANITIZER:-}" ]]; then
    flags+=("-Zsanitizer=$SANITIZER")
fi
export RUSTFLAGS="${flags[*]}"
bin_dir="$CARGO_TARGET_DIR/$triple/release"
# libfuzzer-sys compiles libFuzzer (C++); scripts/setup.sh installs clang, which may be the only one.
if [[ -z "${CXX:-}" ]] && ! command -v c++ >/dev/null; then
    export CXX=clang++
fi

targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^paysign-fuzz-harness$'
}

build() {
    # --target keeps the instrumentation off build scripts and proc macros (as cargo-fuzz does).
    cargo build --release --locked --target "$triple" --bins
}

known() {
    targets | grep -qx "$1" || { echo "fuzz/run.sh: no target '$1' (fuzz/run.sh list)" >&2; exit 2; }
}

case "${1:-}" in
build)
    build
    ;;
list)
    targets
    ;;
run)
    target="${2:?usage: fuzz/run.sh run <target> [libFuzzer flags...]}"
    known "$target"
    shift 2
    mkdir -p "target/corpus/$target" "artifacts/$target"
    exec "$bin_dir/$target" -artifact_prefix="artifacts/$target/" "$@" \
        "target/corpus/$target" "corpus/$target"
    ;;
merge)
    target="${2:?usage: fuzz/run.sh merge <target>}"
    known "$target"
    mkdir -p "corpus/$target" "target/corpus/$target"
    exec "$bin_dir/$target" -merge=1 "corpus/$target" "target/corpus/$target"
    ;;
*)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
