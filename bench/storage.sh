#!/usr/bin/env bash
# Bytes per stored sample on both backends, measured on the same samples: `meterlogger sim
# backfill` publishes METERS meters × DAYS days of realistic KMP samples (one every 60 s) to a
# throwaway mosquitto; two `meterlogger-server run`, one on SQLite and one on a throwaway
# PostgreSQL cluster (tests/postgresql/cluster), each store all of them; then the samples table
# with its primary key is measured on each (SQLite: dbstat; PostgreSQL: pg_total_relation_size of
# every month partition) and divided by the samples stored. Then `db pack --after-days 2` packs
# the days that ended two days ago or earlier into `sample_days` (docs/server.md, "Packed
# days") and the same is measured again: the packed days (table, index, overflow pages or TOAST)
# per sample they hold, and a year projected with [database] pack_after_days (7) days of rows
# and the rest packed. Record the output in bench/RESULTS.md.
# Usage: bench/storage.sh [METERS=20] [DAYS=7] [BUILD=build/dev]
set -euo pipefail
cd "$(dirname "$0")/.."
meters=${1:-20}
days=${2:-7}
build=${3:-build/dev}
bin_server="$build/apps/meterlogger-server/meterlogger-server"
bin_agent="$build/apps/meterlogger/meterlogger"
[ -x "$bin_server" ] && [ -x "$bin_agent" ] || {
  echo "storage.sh: build first (cmake --build --preset dev)" >&2
  exit 1
}
dir=$(mktemp -d /tmp/ml-storage-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  tests/postgresql/cluster stop "$dir/pg" || true
  rm -rf "$dir"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
cat >"$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 1000
CONF
mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q "listen socket on port $port" "$dir/mosquitto.log" 2>/dev/null && break
  sleep 0.1
done
tests/postgresql/cluster start "$dir/pg"
url=$(cat "$dir/pg/url")
key=ef500c9268cf749016d26d6cbfaaf7bf
for backend in sqlite postgresql; do
  if [ "$backend" = sqlite ]; then db="path = \"$dir/server.db\""; else db="url = \"$url\""; fi
  cat >"$dir/$backend.toml" <<TOML
[database]
$db
[mqtt]
host = "127.0.0.1"
port = $port
client_id = "bench-$backend"
[gaps]
interval = 0
[commands]
poll_interval = 0
[alarms]
interval = 0
TOML
  for m in $(seq "$meters"); do
    "$bin_server" --config "$dir/$backend.toml" meters add "$((7000000 + m))" --kind heat \
      --key "$key" >/dev/null
  done
  "$bin_server" --config "$dir/$backend.toml" run >"$dir/$backend.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "ingest: connected" "$dir/$backend.log" && break
    sleep 0.1
  done
done
for m in $(seq "$meters"); do
  "$bin_agent" sim backfill --serial "$((7000000 + m))" --key "$key" --seed "$m" --days "$days" \
    --every 60 --port "$port" >/dev/null
done
want=$((meters * days * 1440))
count_sqlite() { sqlite3 "$dir/server.db" "SELECT count(*) FROM samples"; }
count_pg() { psql -qtA "$url" -c "SELECT count(*) FROM samples"; }
for _ in $(seq 600); do
  [ "$(count_sqlite)" -ge "$want" ] && [ "$(count_pg)" -ge "$want" ] && break
  sleep 1
done
n_sqlite=$(count_sqlite)
n_pg=$(count_pg)
bytes_sqlite=$(sqlite3 "$dir/server.db" "SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'")
bytes_pg=$(psql -qtA "$url" -c "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits \
  WHERE inhparent = 'samples'::regclass")
text_avg=$(sqlite3 "$dir/server.db" "SELECT round(avg(length(raw)), 1) FROM samples")
echo "samples: $meters meters x $days days, one a minute: $want published"
echo "average sample text: $text_avg bytes"
printf "%-10s %10s %14s %16s %22s\n" backend stored bytes bytes/sample "100 000 meters x 1 year"
for backend in sqlite postgresql; do
  if [ "$backend" = sqlite ]; then n=$n_sqlite; b=$bytes_sqlite; else n=$n_pg; b=$bytes_pg; fi
  per=$(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.1f", b / n }')
  year=$(awk -v p="$per" 'BEGIN { printf "%.1f TB", p * 100000 * 525600 / 1e12 }')
  printf "%-10s %10s %14s %16s %22s\n" "$backend" "$n" "$b" "$per" "$year"
done

# Packed days: every sample of a day that ended two days ago or earlier.
for backend in sqlite postgresql; do
  "$bin_server" --config "$dir/$backend.toml" db pack --after-days 2
done
packed_sqlite=$(sqlite3 "$dir/server.db" "SELECT sum(samples) FROM sample_days")
packed_pg=$(psql -qtA "$url" -c "SELECT sum(samples) FROM sample_days")
days_bytes_sqlite=$(sqlite3 "$dir/server.db" "SELECT sum(pgsize) FROM dbstat \
  WHERE name IN ('sample_days', 'sqlite_autoindex_sample_days_1')")
days_bytes_pg=$(psql -qtA "$url" -c "SELECT pg_total_relation_size('sample_days')")
rows_bytes_sqlite=$(sqlite3 "$dir/server.db" "SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'")
echo "packed (db pack --after-days 2): the days that ended two days ago or earlier"
printf "%-10s %10s %14s %16s %22s\n" backend packed bytes bytes/sample "100 000 meters x 1 year"
for backend in sqlite postgresql; do
  if [ "$backend" = sqlite ]; then
    n=$packed_sqlite b=$days_bytes_sqlite row=$(awk -v b="$bytes_sqlite" -v n="$n_sqlite" \
      'BEGIN { print b / n }')
  else
    n=$packed_pg b=$days_bytes_pg row=$(awk -v b="$bytes_pg" -v n="$n_pg" 'BEGIN { print b / n }')
  fi
  per=$(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.1f", b / n }')
  # A year: 7 days in rows (pack_after_days), 358 packed.
  year=$(awk -v p="$per" -v r="$row" \
    'BEGIN { printf "%.2f TB", (358 * p + 7 * r) * 1440 * 100000 / 1e12 }')
  printf "%-10s %10s %14s %16s %22s\n" "$backend" "$n" "$b" "$per" "$year"
done
echo "rows left unpacked: SQLite $(sqlite3 "$dir/server.db" "SELECT count(*) FROM samples") \
($rows_bytes_sqlite bytes), PostgreSQL \
$(psql -qtA "$url" -c "SELECT count(*) FROM samples")"
