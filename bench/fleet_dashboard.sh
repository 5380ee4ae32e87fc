#!/usr/bin/env bash
# The dashboard's API at 100 000 meters with ingest running, on SQLite and on a throwaway
# PostgreSQL cluster (tests/postgresql/cluster): a page of the meter list, a search, the fleet
# summary, one meter's year chart (bench/dashboard/fleet_dashboard_bench.cpp says how). Record the
# output in bench/RESULTS.md.
# Usage: bench/fleet_dashboard.sh [METERS=100000] [RUNS=20] [HISTORY_DAYS=60] [RATE=1667]
#        (builds the release preset; about 10 minutes at 100 000 meters, most of it generating)
# Exit status: 0 when the goals are met on both, 3 when not, 1 when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target fleet_dashboard_bench >/dev/null
dir=$(mktemp -d /tmp/ml-fleet-dashboard.XXXXXX)
cleanup() {
  tests/postgresql/cluster stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
tests/postgresql/cluster start "$dir/pg" >/dev/null
status=0
for db in sqlite "$(cat "$dir/pg/url")"; do
  echo
  echo "== $( [ "$db" = sqlite ] && echo SQLite || echo PostgreSQL)"
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  s=0
  build/release/bench/dashboard/fleet_dashboard_bench "$dir" "$db" "${1:-100000}" "${2:-20}" \
    "${3:-60}" "${4:-1667}" || s=$?
  if [ "$s" = 1 ]; then status=1; elif [ "$s" != 0 ] && [ "$status" = 0 ]; then status=$s; fi
done
exit "$status"
