#!/usr/bin/env bash
# The server's ingest throughput, end to end, against the broker's own delivery rate for the same
# messages (bench/ingest/ingest.cpp says how): the highest rate `run` sustains, as a multiple of
# what the broker delivers to a plain subscriber in the same run. On SQLite, or on PostgreSQL (a
# throwaway cluster from tests/postgresql/cluster: a Unix socket, fsync off) with one `run` or
# WORKERS processes `run --worker wK` sharing the ingest. Record the output in bench/RESULTS.md.
# Usage: bench/ingest.sh [METERS=10000] [SAMPLES_PER_METER=3] [sqlite|postgresql] [WORKERS=0]
#        (builds the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
backend=${3:-sqlite}
workers=${4:-0}
case "$backend" in sqlite | postgresql) ;; *)
  echo "bench/ingest.sh: the backend is sqlite or postgresql, not '$backend'" >&2
  exit 2
  ;;
esac
if [ "$workers" -gt 0 ] && [ "$backend" != postgresql ]; then
  echo "bench/ingest.sh: workers share one PostgreSQL database: give postgresql" >&2
  exit 2
fi
cmake --preset release >/dev/null
flock /tmp/ml-build.lock cmake --build --preset release --target ingest_bench meterlogger-server \
  >/dev/null
dir=$(mktemp -d /tmp/ml-ingest-bench.XXXXXX)
broker=""
cleanup() {
  [ -n "$broker" ] && kill "$broker" 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$backend" = postgresql ] && tests/postgresql/cluster stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
db=()
if [ "$backend" = postgresql ]; then
  tests/postgresql/cluster start "$dir/pg"
  db=(--postgresql "$(cat "$dir/pg/url")" --workers "$workers")
fi
# As packaging/mosquitto/meterlogger.conf recommends for the server's broker: no queue limit for
# a persistent session, and a wide in-flight window towards the server.
start_mosquitto "$dir" "max_queued_messages 0" "max_inflight_messages 1000"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(uname -r); $(mosquitto -h 2>/dev/null | head -n1)"
build/release/bench/ingest/ingest_bench "$port" build/release/apps/meterlogger-server/meterlogger-server \
  "$dir" "${1:-10000}" "${2:-3}" "${db[@]}"
