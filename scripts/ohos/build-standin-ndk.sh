#!/usr/bin/env bash
# Builds the link-only OHOS NDK stand-in under target/ohos-ndk-standin/ from Debian packages, laid out
# like the real NDK so napi-build-ohos finds it through OHOS_NDK_HOME:
#   native/sysroot/usr/include/<arch>-linux-ohos/   musl headers
#   native/sysroot/usr/lib/<arch>-linux-ohos/       musl crt objects, libc.a, libc.so (no SONAME, so a
#                                                   library records NEEDED libc.so, the device's name),
#                                                   link stubs libace_napi.z.so and libhilog_ndk.z.so
#   native/llvm/lib/<arch>-linux-ohos/              libunwind.a (LLVM libunwind from rust-src),
#                                                   libclang_rt.builtins.a (compiler-rt, for emutls)
#   clang-resource/                                 Debian clang's headers plus the target's crt objects
# Only downloads and unpacks the foreign packages; nothing foreign is installed system-wide.
# Idempotent: rebuilt only when this script, the linker driver, rustc or an import list changed.
#   usage: build-standin-ndk.sh [TARGET...]     (default: every device target)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${OHOS_TARGETS[@]}")
S=$OHOS_STANDIN_DIR
export OHOS_NDK_HOME=$S

for tool in clang ld.lld llvm-ar apt-get dpkg-deb jq; do
  command -v "$tool" >/dev/null || { echo "standin: $tool is missing (run scripts/setup.sh)" >&2; exit 1; }
done
clang_major=$(clang -dumpversion | cut -d. -f1)
rust_src="$(rustc --print sysroot)/lib/rustlib/src/rust/src/llvm-project/libunwind"
[ -d "$rust_src/src" ] || { echo "standin: rust-src is missing (rustup component add rust-src)" >&2; exit 1; }

build_one() {
  local target=$1 arch libdir debarch stamp_want lists
  arch=$(ohos_arch "$target"); libdir=$(ohos_libdir "$target"); debarch=$(ohos_debarch "$target")
  local lib="$S/native/sysroot/usr/lib/$libdir" inc="$S/native/sysroot/usr/include/$libdir"
  local llvmlib="$S/native/llvm/lib/$libdir" work="$S/work/$target"

  lists=$(for l in ace_napi.z hilog_ndk.z; do echo "== $l"; "$here/import-list.sh" "$l" "$target"; done)
  stamp_want=$( { cat "$here/build-standin-ndk.sh" "$here/ohos-clang" "$here/common.sh"; rustc -vV; clang --version; echo "$lists"; } | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$S/stamp-$target" 2>/dev/null)" = "$stamp_want" ]; then
    echo "standin: $target up to date"
    return
  fi
  echo "standin: building $target"
  rm -rf "$lib" "$inc" "$llvmlib" "$work" "$S/clang-resource/lib/linux/"*"-$arch".*
  mkdir -p "$lib" "$inc" "$llvmlib" "$work" "$S/debs/$debarch" "$S/clang-resource/lib/linux"

  # Foreign packages: download and unpack only. apt needs the architecture known to fetch arm64 lists.
  if [ "$debarch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
    local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" dpkg --add-architecture "$debarch"
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  local pkgs=("musl:$debarch" "musl-dev:$debarch" "libclang-rt-$clang_major-dev:$debarch")
  # First try with the package lists there are; on a miss, refresh them once and show apt's errors.
  if ! (cd "$S/debs/$debarch" && apt-get download -qq "${pkgs[@]}" 2>/dev/null); then
    local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    (cd "$S/debs/$debarch" && apt-get download -qq "${pkgs[@]}")
  fi
  local root="$work/deb-root"
  mkdir -p "$root"
  for deb in "$S/debs/$debarch"/*.deb; do dpkg-deb -x "$deb" "$root"; done

  # Sysroot: musl's headers, crt objects and libraries. libc.so doubles as the dynamic loader for the
  # smoke test (musl's loader is its libc).
  cp -r "$root/usr/include/$arch-linux-musl/." "$inc/"
  cp "$root/usr/lib/$arch-linux-musl/"*.o "$root/usr/lib/$arch-linux-musl/"*.a "$lib/"
  cp "$root/lib/$arch-linux-musl/libc.so" "$lib/libc.so"

  # compiler-rt: builtins (emutls) and crtbegin/crtend, in a resource dir that reuses clang's headers.
  local rt
  rt=$(find "$root/usr/lib/llvm-$clang_major/lib/clang" -type d -path '*/lib/linux' | sed -n 1p)
  cp "$rt/libclang_rt.builtins-$arch.a" "$llvmlib/libclang_rt.builtins.a"
  cp "$rt/clang_rt.crtbegin-$arch.o" "$rt/clang_rt.crtend-$arch.o" "$rt/libclang_rt.builtins-$arch.a" \
    "$S/clang-resource/lib/linux/"
  ln -sfn "$(clang -print-resource-dir)/include" "$S/clang-resource/include"
  touch "$S/STANDIN"

  # LLVM libunwind from rust-src, built the way Rust's bootstrap builds it, with hidden symbols so the
  # library exports none of it. (Debian's arm64 libunwind is built against glibc and imports __*_chk.)
  local cc=("$here/ohos-clang") objs=() f o
  export OHOS_CLANG_TARGET=$target
  for f in libunwind.cpp Unwind-EHABI.cpp Unwind-seh.cpp Unwind-sjlj.c UnwindLevel1-gcc-ext.c UnwindLevel1.c \
    UnwindRegistersRestore.S UnwindRegistersSave.S; do
    o="$work/unwind-${f%.*}.o"
    local extra=()
    case "$f" in *.cpp) extra=(-std=c++17 -fno-exceptions -fno-rtti -nostdinc++) ;; esac
    "${cc[@]}" -c -O2 -fPIC -fstrict-aliasing -funwind-tables -fvisibility=hidden \
      -D_LIBUNWIND_IS_NATIVE_ONLY -D_LIBUNWIND_HIDE_SYMBOLS -DNDEBUG \
      -I "$rust_src/include" "${extra[@]}" "$rust_src/src/$f" -o "$o"
    objs+=("$o")
  done
  llvm-ar crs "$llvmlib/libunwind.a" "${objs[@]}"

  # Link stubs: each defines every function its binding crate declares (rustc links with --as-needed, so
  # a stub without the symbols would drop the NEEDED entry). The device provides the real libraries.
  local l
  for l in ace_napi.z hilog_ndk.z; do
    local syms
    syms=$("$here/import-list.sh" "$l" "$target")
    if [ -z "$syms" ]; then
      echo "standin: no crate for $target links lib$l.so; no stub"
      continue
    fi
    {
      echo "/* Generated by scripts/ohos/build-standin-ndk.sh from the binding crate's import list. */"
      sed 's/.*/void &(void) {}/' <<<"$syms"
    } >"$work/lib$l.c"
    "${cc[@]}" -shared -nostdlib -fPIC -Wl,-soname,"lib$l.so" "$work/lib$l.c" -o "$lib/lib$l.so"
    echo "standin: lib$l.so stub defines $(wc -l <<<"$syms") functions"
  done

  rm -rf "$root"  # the unpacked packages are not needed any more; the .debs stay as a cache
  echo "$stamp_want" >"$S/stamp-$target"
}

for t in "${targets[@]}"; do build_one "$t"; done
