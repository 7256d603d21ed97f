#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine with Rust and Node.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: clang/lld/llvm link the device library, qemu-user smoke-loads it, binutils and
# file inspect ELF files, openssl is the interop peer of the crypto tests, postgresql is the
# merchant server's second database (scripts/pg-test.sh runs a throwaway cluster).
apt_packages=(clang lld llvm qemu-user binutils file openssl ca-certificates jq postgresql)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# rust-src builds std for the HarmonyOS targets (no prebuilt std is published for them).
installed=$(rustup component list --installed)
for c in rust-src rustfmt clippy; do
  grep -q "^$c" <<<"$installed" || rustup component add "$c"
done

# npm packages, pinned by package-lock.json; reinstalled only when the lockfile changed.
if [ -f package-lock.json ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
