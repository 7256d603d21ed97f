#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package (scripts/setup.sh
# installs it): initdb into target/pg-test/, listen on 127.0.0.1 only on a free port, run the
# given command with PAYSIGN_TEST_POSTGRES_URL set, then stop the cluster and delete it.
#
#   scripts/pg-test.sh run -- COMMAND [ARGS...]
#
# PostgreSQL refuses to run as root (CI runs as root): there the server runs as the `postgres`
# system user the package created. Connections are trusted from 127.0.0.1 only; the cluster
# holds nothing but test data and is gone when the command ends.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "${1:-}" = run ] && [ "${2:-}" = -- ] && [ $# -ge 3 ] || {
  echo "usage: scripts/pg-test.sh run -- COMMAND [ARGS...]" >&2
  exit 2
}
shift 2

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg-test: PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/setup.sh)" >&2
  exit 1
fi

# Who runs the server, and a wrapper to run a command as that user.
if [ "$(id -u)" -eq 0 ]; then
  pg_user=postgres
  id "$pg_user" >/dev/null 2>&1 || { echo "pg-test: no '$pg_user' user (is postgresql installed?)" >&2; exit 1; }
  as_pg() { runuser -u "$pg_user" -- "$@"; }
else
  pg_user=$(id -un)
  as_pg() { "$@"; }
fi

# target/pg-test/ when that user can reach it; otherwise a private temporary directory (the
# server's user must be able to traverse every parent of its data directory).
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$target"
base=$(mktemp -d "$(cd "$target" && pwd)/pg-test.XXXXXX")
chmod 755 "$base"
[ "$pg_user" = "$(id -un)" ] || chown "$pg_user" "$base"
if ! as_pg test -w "$base"; then
  rm -rf "$base"
  base=$(mktemp -d "${TMPDIR:-/tmp}/paysign-pg-test.XXXXXX")
  chmod 755 "$base"
  [ "$pg_user" = "$(id -un)" ] || chown "$pg_user" "$base"
fi
data="$base/data"
log="$base/server.log"

cleanup() {
  if [ -f "$data/postmaster.pid" ]; then
    as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$base"
}
trap cleanup EXIT INT TERM

as_pg "$bindir/initdb" -D "$data" -U paysign --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log" >&2; exit 1; }

# A port nobody answers on; retried if another process takes it first.
started=
for _ in 1 2 3 4 5; do
  port=$(shuf -i 20000-59999 -n 1)
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
  if as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 start -o \
    "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$base \
     -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  echo "pg-test: the PostgreSQL server did not start:" >&2
  cat "$log" >&2 || true
  exit 1
fi
echo "pg-test: $("$bindir/postgres" --version) on 127.0.0.1:$port (data in $data)"

export PAYSIGN_TEST_POSTGRES_URL="postgres://paysign@127.0.0.1:$port/postgres"
export PAYSIGN_REQUIRE_POSTGRES=1
status=0
"$@" || status=$?
exit "$status"
