#!/usr/bin/env bash
# Packs the HAR module folder paysign/ with its device libraries into paysign-<version>.har at the repo
# root: a gzip tar whose top folder is package/ (the layout ohpm installs and `ohrs artifact` writes).
# The version comes from paysign/oh-package.json5, read with the json5 parser from the npm lockfile
# (the crate version until that file exists). Test sources (src/ohosTest, src/test) and build outputs are
# left out. The archive is reproducible: sorted names, fixed owner and time, gzip without a timestamp.
# Checks the listing for what an app needs and fails when something is missing.
#   usage: pack-har.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
cd "$OHOS_REPO_ROOT"

module=paysign
if [ -f "$module/oh-package.json5" ]; then
  [ -f node_modules/json5/package.json ] || { echo "har: the json5 npm package is missing (run scripts/setup.sh)" >&2; exit 1; }
  version=$(node -e '
    const fs = require("fs"), JSON5 = require("json5");
    const pkg = JSON5.parse(fs.readFileSync(process.argv[1], "utf8"));
    if (typeof pkg.version !== "string" || !pkg.version) { console.error("har: no version in " + process.argv[1]); process.exit(1); }
    process.stdout.write(pkg.version);' "$module/oh-package.json5")
else
  version=$(cargo metadata --format-version 1 --no-deps | jq -r '.packages[] | select(.name == "paysign") | .version')
fi
case "$version" in
  *[!A-Za-z0-9.+-]* | "") echo "har: unusable version '$version'" >&2; exit 1 ;;
esac

stage="$CARGO_TARGET_DIR/ohos-har"
rm -rf "$stage"
mkdir -p "$stage/package"
tar -C "$module" -cf - \
  --exclude=./src/ohosTest --exclude=./src/test --exclude=./build --exclude=./node_modules \
  --exclude=./oh_modules --exclude=./.hvigor --exclude=./.preview --exclude='*.har' . |
  tar -C "$stage/package" -xf -

har="$module-$version.har"
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --mode='u+rw,go+r,go-w' \
  -cf - package | gzip -n -9 >"$har.tmp"
mv "$har.tmp" "$har"

listing=$(tar -tzf "$har")
required=(
  package/Index.ets
  package/oh-package.json5
  package/src/main/cpp/types/libpaysign/oh-package.json5
  package/src/main/cpp/types/libpaysign/index.d.ts
)
for t in "${OHOS_TARGETS[@]}"; do required+=("package/libs/$(ohos_abi "$t")/libpaysign.so"); done
missing=()
for f in "${required[@]}"; do grep -qxF "$f" <<<"$listing" || missing+=("$f"); done
echo "har: $har, $(stat -c %s "$har") bytes, $(grep -vc '/$' <<<"$listing") files:"
grep -E '^package/(Index\.ets|oh-package\.json5|libs/.*\.so|src/main/cpp/types/.*[^/])$' <<<"$listing" | sed 's/^/har:   /'
if [ ${#missing[@]} -gt 0 ]; then
  echo "har: missing from $har: ${missing[*]}; removed it" >&2
  rm -f "$har"
  exit 1
fi
