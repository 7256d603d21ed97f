#!/usr/bin/env bash
# Size report of a device library: its size against the 300 KB target, its sections, and its largest
# contributors by crate/library and by item, read from the linker map of its last link (the library
# itself is stripped; the map is written by build-device-libs.sh).
#   usage: size-report.sh [TARGET]     (default: aarch64-unknown-linux-ohos, the phones' ABI)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

target=${1:-aarch64-unknown-linux-ohos}
abi=$(ohos_abi "$target")
so="$OHOS_REPO_ROOT/paysign/libs/$abi/libpaysign.so"
map=$(ohos_link_map "$target")
budget=300000 # bytes: "300 KB"
# awk has no portable hex parser (strtonum is gawk's).
hex_awk='function hex(s,  i, n) { n = 0; s = tolower(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }'
top=${SIZE_REPORT_TOP:-12}

[ -f "$so" ] || { echo "size: $so is missing (make device-libs)" >&2; exit 1; }
bytes=$(stat -c %s "$so")
verdict="within the target"
[ "$bytes" -le "$budget" ] || verdict="ABOVE the target by $((bytes - budget)) bytes"
echo "size: paysign/libs/$abi/libpaysign.so: $bytes bytes ($(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1024}') KiB); target <= $budget bytes: $verdict"

# Allocated sections, largest first.
echo "size: sections: $(readelf -SW "$so" | awk "$hex_awk"'
  /^ *\[ *[0-9]+\]/ {
    sub(/^ *\[ *[0-9]+\] */, "")
    if ($1 ~ /^\./ && $2 != "NULL" && $2 != "NOBITS" && $7 ~ /A/) printf "%d %s\n", hex($5), $1
  }' | sort -rn | sed -n 1,8p | awk '{printf "%s %d, ", $2, $1}' | sed 's/, $//')"

if [ ! -f "$map" ] || [ "$map" -ot "$so" ] && ! cmp -s "$so" "$(ohos_cargo_lib "$target")"; then
  echo "size: no link map for this build ($map); rebuild with make device-libs for the contributors"
  exit 0
fi

# Input sections of the map: "size<TAB>origin<TAB>section". An LTO build has one Rust object, so a Rust
# item is attributed by the symbol in its section name (-ffunction-sections/-fdata-sections); sections
# without one (.eh_frame, merged strings) stay "Rust, unattributed".
rows=$(awk "$hex_awk"'
  NR > 1 && NF == 5 && $5 ~ /:\(/ {
    size = hex($3); if (size == 0) next
    split($5, parts, ":\\(")
    origin = parts[1]; section = substr($5, length(origin) + 3); sub(/\)$/, "", section)
    printf "%d\t%s\t%s\n", size, origin, section
  }' "$map")

demangled=$(awk -F'\t' '{
    origin = $2; section = $3
    if (origin ~ /\.rcgu\.o$/) {
      if (match(section, /_[RZ][A-Za-z0-9_$.]+$/)) print $1 "\trust\t" substr(section, RSTART)
      else print $1 "\trust\t(Rust, unattributed " section ")"
    } else {
      n = split(origin, p, "/"); name = p[n]; sub(/\(.*$/, "", name)
      print $1 "\tlib\t" name
    }
  }' <<<"$rows" | sed 's/\.llvm\.[0-9]*$//')
# Demangle the Rust item names (v0 and legacy manglings).
items=$(paste <(cut -f1,2 <<<"$demangled") <(cut -f3 <<<"$demangled" | llvm-cxxfilt))

echo "size: largest contributors by crate or library (bytes, from the link map):"
awk -F'\t' '{
    if ($2 == "lib") key = $3
    else if ($3 ~ /^\(Rust, unattributed/) key = "Rust, unattributed (unwind tables, merged constants)"
    else {
      name = $3; sub(/^[<&*]+/, "", name); sub(/^(dyn |mut |const )/, "", name)
      if (match(name, /^[A-Za-z_][A-Za-z0-9_]*::/)) key = substr(name, 1, RLENGTH - 2)
      else key = "(other Rust)"
    }
    total[key] += $1
  } END { for (k in total) printf "%8d  %s\n", total[k], k }' <<<"$items" | sort -rn | sed -n "1,${top}p"

echo "size: largest items:"
awk -F'\t' '$2 == "rust" && $3 !~ /^\(Rust, unattributed/ {printf "%8d  %s\n", $1, substr($3, 1, 110)}' <<<"$items" |
  sort -rn | sed -n "1,${top}p"

# What the bytes pay for, by kind of code, and what would remove them (printed when above the target).
sections=$(readelf -SW "$so")
section_size() { awk "$hex_awk"'{ sub(/^ *\[ *[0-9]+\] */, "") } $1 == "'"$1"'" { print hex($5) }' <<<"$sections"; }
unwind=$(($(section_size .eh_frame || echo 0) + $(section_size .eh_frame_hdr || echo 0) + $(section_size .gcc_except_table || echo 0)))
echo "size: by kind of code:"
awk -F'\t' -v unwind="$unwind" -v above="$([ "$bytes" -gt "$budget" ] && echo 1 || echo 0)" '
  $2 == "lib" && $3 ~ /libunwind/ { unw += $1; next }
  $2 != "rust" { next }
  $3 ~ /serde::private::de::content|ContentDeserializer|ContentRefDeserializer/ { content += $1 }
  $3 ~ /Deserialize|Deserializer|Visitor|serde::private::de|serde_json::de/ { de += $1 }
  $3 ~ /serde_json::lexical|f64_long_from_parts|f64_from_parts/ { lex += $1 }
  $3 ~ /as serde_core::ser::|Serializer|serde_json::ser/ { ser += $1 }
  $3 ~ /^(<)?core::fmt|as core::fmt::/ { fmt += $1 }
  $3 ~ /napi_ohos::/ { napi += $1 }
  END {
    printf "%8d  serde deserialization (derives, serde_json reader)\n", de
    printf "%8d    of which buffering through serde Content (internally tagged enums, #[serde(flatten)])\n", content
    printf "%8d    of which exact float parsing (serde_json feature float_roundtrip)\n", lex
    printf "%8d  serde serialization\n", ser
    printf "%8d  formatting (core::fmt, Debug/Display impls)\n", fmt
    printf "%8d  N-API conversions (napi_ohos)\n", napi
    printf "%8d  unwinding: libunwind.a code plus .eh_frame/.gcc_except_table (%d); needed to turn panics into exceptions\n", unw + unwind, unwind
    if (above) {
      print "size: what would remove bytes:"
      if (content > 0) {
        print "size:   - serde Content buffering (" content " bytes): internally tagged enums (`#[serde(tag = ...)]`) and"
        print "size:     #[serde(flatten)] in the types the library parses (paysign-core: flow state, PaysignError,"
        print "size:     orderStr); externally tagged enums and plain structs deserialize straight from the reader"
      }
      if (lex > 0) print "size:   - serde_json feature float_roundtrip (" lex " bytes): exact float parsing; integers need none"
      if (fmt > 10000) print "size:   - core::fmt (" fmt " bytes): fewer formatted (format!/Debug) error messages"
      print "size:   - not removable while panics must come back as exceptions: libunwind and the unwind tables"
    }
  }' <<<"$items"
