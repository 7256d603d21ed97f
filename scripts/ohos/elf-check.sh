#!/usr/bin/env bash
# ELF checks of the device libraries (paysign/libs/<abi>/libpaysign.so), one line per check:
#   machine and type; DT_NEEDED only from the device's libraries; SONAME; the only exported dynamic
#   symbol is what module registration needs; no glibc-only imports (__*_chk, GLIBC_* versions); every
#   other import is a function or object musl's libc.so defines (the device libc is a musl fork); no
#   text relocations; a non-executable stack. Prints the size. Exits non-zero when a check failed.
#   usage: elf-check.sh [TARGET...]     (default: every device target)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${OHOS_TARGETS[@]}")

# What the library may need on the device: the ArkTS N-API, hilog and libc. The real NDK adds nothing:
# Rust's std needs only libc (musl folds libm, libdl, libpthread and librt into it), the NDK links
# libunwind and compiler-rt statically, and Rust code needs no libc++.
allowed_needed=(libace_napi.z.so libhilog_ndk.z.so libc.so)
# Module registration: the runtime calls the nm_register_func that the library's constructor (in
# .init_array, not exported) passes to napi_module_register; napi_register_module_v1 is the same entry
# under its well-known name, for runtimes that look it up.
allowed_exports=(napi_register_module_v1)

passed=0 failed=0
check() { # OK DESCRIPTION [DETAIL]
  if [ "$1" = 0 ]; then
    passed=$((passed + 1)); echo "ok - $2"
  else
    local detail
    detail=$(tr -s ' \n' '  ' <<<"${3:-}" | cut -c1-240)
    failed=$((failed + 1)); echo "not ok - $2${detail:+: $detail}"
  fi
}

for target in "${targets[@]}"; do
  abi=$(ohos_abi "$target")
  so="$OHOS_REPO_ROOT/paysign/libs/$abi/libpaysign.so"
  echo "# $target: paysign/libs/$abi/libpaysign.so"
  if [ ! -f "$so" ]; then
    check 1 "$abi: library exists" "run make device-libs"
    continue
  fi
  case "$(ohos_arch "$target")" in
    aarch64) want_machine="AArch64" ;;
    x86_64) want_machine="Advanced Micro Devices X86-64" ;;
  esac
  header=$(readelf -hW "$so")
  machine=$(sed -n 's/^ *Machine: *//p' <<<"$header")
  type=$(sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p' <<<"$header")
  class=$(sed -n 's/^ *Class: *//p' <<<"$header")
  check "$([ "$machine" = "$want_machine" ] && [ "$class" = ELF64 ] && [ "$type" = DYN ]; echo $?)" \
    "$abi: ELF64 shared object for $want_machine" "$class $type $machine"

  dynamic=$(readelf -dW "$so")
  needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dynamic")
  echo "#   NEEDED: $(tr '\n' ' ' <<<"$needed")"
  bad_needed=$(grep -vxF -f <(printf '%s\n' "${allowed_needed[@]}") <<<"$needed" || true)
  check "$([ -z "$bad_needed" ]; echo $?)" "$abi: DT_NEEDED only from {${allowed_needed[*]}}" "$bad_needed"
  check "$(grep -qx libace_napi.z.so <<<"$needed"; echo $?)" "$abi: links the ArkTS N-API (libace_napi.z.so)"

  soname=$(sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p' <<<"$dynamic")
  check "$([ "$soname" = libpaysign.so ]; echo $?)" "$abi: SONAME libpaysign.so" "${soname:-none}"

  exports=$(llvm-nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ {print $3}' | sort)
  echo "#   exports: $(tr '\n' ' ' <<<"$exports")"
  extra_exports=$(grep -vxF -f <(printf '%s\n' "${allowed_exports[@]}") <<<"$exports" || true)
  check "$([ -z "$extra_exports" ] && grep -qx napi_register_module_v1 <<<"$exports"; echo $?)" \
    "$abi: exports only {${allowed_exports[*]}}" "$(tr '\n' ' ' <<<"$extra_exports")"

  imports=$(llvm-nm -D --undefined-only "$so" | awk '{print $NF}' | sort -u)
  glibc_only=$(grep -E '^__.*_chk(@.*)?$|@GLIBC_' <<<"$imports" || true)
  version_refs=$(readelf -VW "$so" | grep -oE 'GLIBC_[0-9.A-Z_]+' | sort -u || true)
  check "$([ -z "$glibc_only$version_refs" ]; echo $?)" "$abi: no glibc-only imports (__*_chk, GLIBC_* versions)" \
    "$(tr '\n' ' ' <<<"$glibc_only $version_refs")"

  # Imports that are not N-API or hilog must come from libc: compare with the stand-in's musl libc.so.
  musl="$OHOS_STANDIN_DIR/native/sysroot/usr/lib/$(ohos_libdir "$target")/libc.so"
  if [ -f "$musl" ]; then
    libc_imports=$(grep -vE '^(napi_|node_api_|OH_LOG_)' <<<"$imports" | sed 's/@.*//' || true)
    strong=$(llvm-nm -D --undefined-only "$so" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u)
    not_in_musl=$(comm -23 <(grep -xF -f <(echo "$strong") <<<"$libc_imports" || true) \
      <(llvm-nm -D --defined-only "$musl" | awk '{print $3}' | sort -u))
    echo "#   imports: $(grep -cE '^(napi_|node_api_)' <<<"$imports" || true) napi, $(grep -c '^OH_LOG_' <<<"$imports" || true) hilog, $(grep -c . <<<"$libc_imports" || true) libc"
    check "$([ -z "$not_in_musl" ]; echo $?)" "$abi: every libc import is defined by musl's libc.so" \
      "$(tr '\n' ' ' <<<"$not_in_musl")"
  else
    echo "#   (no stand-in musl libc.so to compare the libc imports with: scripts/ohos/build-standin-ndk.sh)"
  fi

  check "$(! grep -q TEXTREL <<<"$dynamic"; echo $?)" "$abi: no text relocations"
  stack=$(readelf -lW "$so" | awk '$1 == "GNU_STACK" {print $7}')
  check "$([ "$stack" = RW ]; echo $?)" "$abi: non-executable stack" "GNU_STACK ${stack:-missing}"

  echo "#   size: $(stat -c %s "$so") bytes ($(awk -v b="$(stat -c %s "$so")" 'BEGIN {printf "%.1f", b / 1024}') KiB)"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
