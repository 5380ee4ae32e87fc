#!/usr/bin/env bash
# One month of one-minute samples for 10 000 meters (issue 17), on SQLite and on a throwaway
# PostgreSQL cluster (tests/postgresql/cluster): bench/month/month_bench.cpp generates it as the
# server keeps it after a month (the older days packed, the last week in rows, the rollups) and
# times the dashboard's reads, ingest and the next day's pack on it. Then the tables are measured
# with each database's own figures (SQLite: dbstat; PostgreSQL: pg_total_relation_size, heap +
# indexes + TOAST) and a year of 100 000 meters is projected from the bytes per sample: 7 days in
# rows ([database] pack_after_days), 358 packed, and the rollups of 365 days. Record the output in
# bench/RESULTS.md.
# Usage: bench/month.sh [METERS=10000] [DAYS=30] [RUNS=10] [BACKENDS="sqlite postgresql"]
#        (builds the release preset unless SKIP_BUILD=1; at 10 000 meters about 15 minutes and
#        25 GB of /tmp for SQLite, more for PostgreSQL; one backend at a time, each removed after)
set -euo pipefail
cd "$(dirname "$0")/.."
meters=${1:-10000}
days=${2:-30}
runs=${3:-10}
backends=${4:-sqlite postgresql}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target month_bench >/dev/null
fi
dir=$(mktemp -d /tmp/ml-month.XXXXXX)
cleanup() {
  tests/postgresql/cluster stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
per() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? b / n : 0) }'; }
for backend in $backends; do
  echo
  echo "== $([ "$backend" = sqlite ] && echo SQLite || echo PostgreSQL)"
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$backend" = sqlite ]; then
    db=sqlite
    q() { sqlite3 "$dir/server.db" "$1"; }
  else
    tests/postgresql/cluster start "$dir/pg" >/dev/null
    db=$(cat "$dir/pg/url")
    q() { psql -qtA "$db" -c "$1"; }
  fi
  build/release/bench/month/month_bench "$dir" "$db" "$meters" "$days" "$runs"
  rows=$(q "SELECT count(*) FROM samples")
  packed=$(q "SELECT coalesce(sum(samples), 0) FROM sample_days")
  meter_days=$(q "SELECT count(*) FROM rollups WHERE period = 1")
  if [ "$backend" = sqlite ]; then
    rows_bytes=$(q "SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'")
    packed_bytes=$(q "SELECT sum(pgsize) FROM dbstat \
      WHERE name IN ('sample_days', 'sqlite_autoindex_sample_days_1')")
    rollup_bytes=$(q "SELECT sum(pgsize) FROM dbstat WHERE name = 'rollups'")
    total=$(($(stat -c %s "$dir/server.db") + $(stat -c %s "$dir/server.db-wal" 2>/dev/null || echo 0)))
  else
    q "VACUUM ANALYZE" >/dev/null
    rows_bytes=$(q "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits \
      WHERE inhparent = 'samples'::regclass")
    packed_bytes=$(q "SELECT pg_total_relation_size('sample_days')")
    rollup_bytes=$(q "SELECT pg_total_relation_size('rollups')")
    total=$(q "SELECT pg_database_size(current_database())")
  fi
  row_per=$(per "$rows_bytes" "$rows")
  packed_per=$(per "$packed_bytes" "$packed")
  rollup_per=$(per "$rollup_bytes" "$meter_days")
  echo
  echo "| what | count | bytes | bytes each |"
  echo "|---|---:|---:|---:|"
  echo "| samples in rows | $rows | $(mb "$rows_bytes") | $row_per a sample |"
  echo "| samples in packed days | $packed | $(mb "$packed_bytes") | $packed_per a sample |"
  echo "| rollups (24 hourly + 1 daily a meter-day) | $meter_days meter-days | $(mb "$rollup_bytes") | $rollup_per a meter-day |"
  echo "| the whole database | $((rows + packed)) samples | $(mb "$total") | $(per "$total" $((rows + packed))) a sample |"
  awk -v r="$row_per" -v p="$packed_per" -v u="$rollup_per" 'BEGIN {
    s = (7 * r + 358 * p) * 1440 * 100000; u = u * 365 * 100000;
    printf "Projected, 100 000 meters x 1 year: samples %.2f TB (7 days in rows, 358 packed), " \
      "rollups %.2f TB, together %.2f TB\n", s / 1e12, u / 1e12, (s + u) / 1e12 }'
  if [ "$backend" = sqlite ]; then
    rm -f "$dir"/server.db*
  else
    tests/postgresql/cluster stop "$dir/pg" >/dev/null
    rm -rf "$dir/pg"
  fi
done
