#!/usr/bin/env bash
# Runs the paysign-crypto criterion benchmarks and `openssl speed sm2` in the same run, on the
# same machine, and prints the figures and our SM2 verify/s divided by OpenSSL's (goal >= 1.25).
# Usage: crates/paysign-crypto/scripts/bench-vs-openssl.sh   (from anywhere; ~3-5 minutes)
set -euo pipefail
cd "$(dirname "$0")/../../.."

command -v openssl >/dev/null || { echo "bench-vs-openssl: openssl not found (run scripts/setup.sh)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The bench profile inherits the size-tuned release profile of the device library (opt-level
# "s", fat LTO, one codegen unit); measure the crypto at full speed instead (environment
# override: nothing in Cargo.toml changes).
export CARGO_PROFILE_BENCH_OPT_LEVEL=3

# Build first, then run the bench executable itself: no compiling (or waiting for another
# build's cargo lock) between the OpenSSL and the paysign measurements.
bench_exe=$(cargo bench -p paysign-crypto --bench crypto --no-run --message-format=json \
  | grep '"kind":\["bench"\]' | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bench_exe" ] || { echo "bench-vs-openssl: benchmark executable not built" >&2; exit 1; }

# On a shared machine other work steals cycles at random moments, so both sides are measured in
# alternating short rounds and each side's best round counts (the usual best-of-N for timing).
openssl_speed() { # prints "<sign/s> <verify/s>" from the machine-readable line +F<n>:..:SM2:sign:verify
  openssl speed -mr -seconds 3 sm2 2>/dev/null | awk -F: '/^\+F[0-9]+:.*SM2/ { print $5, $6 }' | tail -1
}
ns_per_iter() { # bencher format: "test NAME ... bench:   123,456 ns/iter (+/- 789)"
  awk -v name="$1" '$2 == name { gsub(",", "", $5); print $5 }' "$2"
}
best_max() { sort -g | tail -1; }
best_min() { sort -g | head -1; }
rounds=${ROUNDS:-3}
: >"$out/ossl_sign"; : >"$out/ossl_verify"; : >"$out/our_sign"; : >"$out/our_verify"
for round in $(seq "$rounds"); do
  read -r os ov <<<"$(openssl_speed)"
  [ -n "${ov:-}" ] || { echo "bench-vs-openssl: no SM2 figures from openssl speed" >&2; exit 1; }
  echo "$os" >>"$out/ossl_sign"; echo "$ov" >>"$out/ossl_verify"
  "$bench_exe" --bench --output-format bencher --warm-up-time 1 --measurement-time 3 sm2_ >"$out/round.txt"
  ns_per_iter sm2_sign "$out/round.txt" >>"$out/our_sign"
  ns_per_iter sm2_verify "$out/round.txt" >>"$out/our_verify"
  printf 'round %s: openssl sign/s %.0f verify/s %.0f | paysign sign/s %.0f verify/s %.0f\n' "$round" "$os" "$ov" \
    "$(awk '{ v = $1 } END { print 1e9 / v }' "$out/our_sign")" "$(awk '{ v = $1 } END { print 1e9 / v }' "$out/our_verify")"
done
ossl_sign=$(best_max <"$out/ossl_sign")
ossl_verify=$(best_max <"$out/ossl_verify")
ours_sign_ns=$(best_min <"$out/our_sign")
ours_verify_ns=$(best_min <"$out/our_verify")

echo "== paysign-crypto, all benchmarks (criterion, opt-level 3)"
"$bench_exe" --bench --output-format bencher --warm-up-time 1 --measurement-time 4 \
  | tee "$out/ours.txt" | grep '^test '
rsa_sign_ns=$(ns_per_iter rsa3072_pss_sign "$out/ours.txt")
canon_ns=$(ns_per_iter canonical_callback "$out/ours.txt")
[ -n "$ours_verify_ns" ] && [ -n "$ours_sign_ns" ] || { echo "bench-vs-openssl: benchmark figures missing" >&2; exit 1; }

awk -v os="$ossl_sign" -v ov="$ossl_verify" -v s="$ours_sign_ns" -v v="$ours_verify_ns" \
    -v r="$rsa_sign_ns" -v c="$canon_ns" 'BEGIN {
  printf "\nbest round of each side:\n%-28s %12s %12s\n", "", "paysign", "openssl"
  printf "%-28s %12.0f %12.0f\n", "SM2 sign/s", 1e9 / s, os
  printf "%-28s %12.0f %12.0f\n", "SM2 verify/s", 1e9 / v, ov
  printf "%-28s %12.0f\n", "RSA-3072-PSS sign/s", 1e9 / r
  printf "%-28s %12.2f\n", "canonical callback (us)", c / 1000
  printf "\nverify ratio (ours / openssl): %.2fx   (goal >= 1.25x)\n", (1e9 / v) / ov
  printf "sign ratio   (ours / openssl): %.2fx\n", (1e9 / s) / os
}'
