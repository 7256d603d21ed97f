#!/usr/bin/env bash
# PostgreSQL's own CPU time per stored payment callback, with none of paysign in the way: pgbench
# (one client) inserts a batch of callback rows and pays their orders in one transaction, on the
# merchant server's schema, and the CPU time of every postgres process is divided by the
# callbacks stored. This is the floor under what the callback endpoint can reach on PostgreSQL
# when the database shares the machine's cores (docs/merchant-server.md, "PostgreSQL: its
# planner and its floor").
#
#   scripts/pg-test.sh run -- scripts/pg-floor.sh
#
# Each batch size runs twice: as four round trips and as one (write_script). The cluster
# pg-test.sh starts has fsync off, and autovacuum is off on the two tables, so this floor is
# lower than a durable server's.
set -euo pipefail
cd "$(dirname "$0")/.."

url=${PAYSIGN_TEST_POSTGRES_URL:?run it under scripts/pg-test.sh}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
seconds=${PG_FLOOR_SECONDS:-5}
orders=200000
# A payment notification as the sandbox signs it is about this long.
body_bytes=569

psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql "$url" -c "DROP DATABASE IF EXISTS pg_floor" -c "CREATE DATABASE pg_floor"
db="${url%/*}/pg_floor"
for migration in crates/paysign-merchant/migrations/*.sql; do psql "$db" -f "$migration"; done
psql "$db" -c "INSERT INTO orders (merc_order_no, user_id, idempotency_key, product_id, \
  amount_fen, currency, merc_contract_code, payment, created_ms, updated_ms, expire_ms, \
  next_check_ms) SELECT 'ORDER-' || lpad(i::text, 12, '0'), 'user-' || i, 'key-' || i, \
  'vip-month', 1500, 'CNY', 'CONTRACT-' || lpad(i::text, 12, '0'), 'PENDING', 1, 1, 1, 1 \
  FROM generate_series(1, $orders) i" -c "VACUUM ANALYZE" \
  -c "ALTER TABLE orders SET (autovacuum_enabled = false)" \
  -c "ALTER TABLE callbacks SET (autovacuum_enabled = false)"
sleep 1 # the backends of the set-up gone, and counted, before the first measurement

script=$(mktemp)
trap 'rm -f "$script"' EXIT

# One batch of $1 callbacks, in $2 round trips: 4 (BEGIN, INSERT, UPDATE, COMMIT, as the
# server's writer sent a batch of payments before 94e97e7) or 1 (the two writes as one statement,
# on its own a transaction, as the writer sends one now: store::settle_payments). Each order is
# paid or made pending again, so every batch writes as much.
write_script() {
  local batch=$1 trips=$2 numbers insert update
  numbers="SELECT 'ORDER-' || lpad((:first + i)::text, 12, '0') FROM generate_series(1, $batch) i"
  insert="INSERT INTO callbacks (callback_id, kind, subject, outcome, received_ms, raw_body) \
SELECT md5(random()::text || no), 'payment', no, 'APPLIED', 1, repeat('x', $body_bytes) \
FROM ($numbers) AS n (no)"
  update="UPDATE orders SET payment = CASE WHEN payment = 'PAID' THEN 'PENDING' ELSE 'PAID' END, \
sys_trans_order_no = 'SYS-' || merc_order_no, finish_time = '2026-01-01T00:00:00Z', paid_ms = 1, \
updated_ms = 1 WHERE merc_order_no IN"
  if [ "$trips" = 4 ]; then
    printf '%s\n' "\\set first random(0, $orders - $batch)" "BEGIN;" "$insert;" \
      "$update ($numbers);" "COMMIT;" >"$script"
  else
    printf '%s\n' "\\set first random(0, $orders - $batch)" \
      "WITH ins AS ($insert RETURNING subject) $update (SELECT subject FROM ins);" >"$script"
  fi
}

# CPU time of every postgres process and of the children it has reaped (a backend's, once its
# client has gone), in clock ticks; after a pause, so that the last run's backend has been
# reaped and is counted in this reading, not in the next.
postgres_ticks() {
  local total=0 stat fields
  sleep 0.5
  for stat in /proc/[0-9]*/stat; do
    stat=$(cat "$stat" 2>/dev/null) || continue
    [[ $stat == *"(postgres)"* ]] || continue
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12] + fields[13] + fields[14]))
  done
  echo "$total"
}

hz=$(getconf CLK_TCK)
echo "PostgreSQL's CPU per stored callback (pgbench, 1 client, ${seconds} s each; ${body_bytes}-byte bodies, ${orders} orders):"
printf '  %5s  %11s  %11s  %20s\n' batch "round trips" callbacks/s "postgres us/callback"
for batch in 1 4 10 32; do
  for trips in 4 1; do
    write_script "$batch" "$trips"
    before=$(postgres_ticks)
    out=$("$bindir/pgbench" -n -M prepared -c 1 -j 1 -T "$seconds" -f "$script" "$db" 2>&1) || {
      echo "$out" >&2
      exit 1
    }
    after=$(postgres_ticks)
    tx=$(awk '/number of transactions actually processed/ { split($NF, a, "/"); print a[1] }' <<<"$out")
    awk -v b="$batch" -v r="$trips" -v tx="$tx" -v s="$seconds" -v ticks=$((after - before)) -v hz="$hz" \
      'BEGIN { n = tx * b; printf "  %5d  %11d  %11.0f  %20.1f\n", b, r, n / s, ticks / hz / n * 1e6 }'
  done
done
