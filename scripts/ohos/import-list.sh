#!/usr/bin/env bash
# Prints the functions that the crates built for TARGET import from the device library LIB, one per
# line, read from the binding crate's own extern "C" blocks (found through `cargo metadata`). The link
# stubs of the stand-in NDK and the weak defaults of the smoke test's fake runtime are generated from it,
# so they follow the crates when a binding is upgraded.
#   usage: import-list.sh LIB TARGET     LIB: ace_napi.z | hilog_ndk.z
# Prints nothing (and exits 0) when no crate for TARGET links LIB.
set -euo pipefail
source "$(dirname "$0")/common.sh"

lib=${1:?library name, e.g. ace_napi.z}
target=${2:?target triple}

# Which crate declares the functions of which device library. napi-sys-ohos has no #[link]: napi-build-ohos
# adds `-l ace_napi.z`; ohos-hilogs-sys carries #[link(name = "hilog_ndk.z")].
case "$lib" in
  ace_napi.z) crate=napi-sys-ohos ;;
  hilog_ndk.z) crate=ohos-hilogs-sys ;;
  *) echo "import-list: no binding crate known for lib$lib.so" >&2; exit 2 ;;
esac

manifest=$(cd "$OHOS_REPO_ROOT" && cargo metadata --quiet --format-version 1 --filter-platform "$target" |
  jq -r --arg c "$crate" '.packages[] | select(.name == $c) | .manifest_path' | sed -n 1p)
[ -n "$manifest" ] || exit 0

# Every `fn NAME(` inside an `extern "C" { ... }` block that opens a line (napi-sys-ohos wraps its blocks in
# a macro call, which does not change their text; its macro_rules patterns `(extern "C" {` and `fn $name(`
# do not match). Brace depth is counted from the block's opening line.
find "$(dirname "$manifest")/src" -name '*.rs' -print0 | sort -z | xargs -0 awk '
  depth == 0 && /^[ \t]*(pub +)?(unsafe +)?extern "C" *\{/ { inblock = 1 }
  inblock {
    line = $0
    if (match(line, /(^|[^A-Za-z0-9_])fn +[A-Za-z_][A-Za-z0-9_]* *\(/)) {
      name = substr(line, RSTART, RLENGTH)
      sub(/^[^f]*fn +/, "", name); sub(/ *\($/, "", name)
      print name
    }
    opens = gsub(/\{/, "{", line); closes = gsub(/\}/, "}", line)
    depth += opens - closes
    if (depth <= 0) { depth = 0; inblock = 0 }
  }
' | sort -u
