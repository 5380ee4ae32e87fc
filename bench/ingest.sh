#!/usr/bin/env bash
# The server's ingest throughput, end to end, against the broker's own delivery rate for the same
# messages (bench/ingest/ingest.cpp says how). Record the output in bench/RESULTS.md.
# Usage: bench/ingest.sh [METERS=10000] [SAMPLES_PER_METER=3]   (builds the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ingest_bench meterlogger-server >/dev/null
dir=$(mktemp -d /tmp/ml-ingest-bench.XXXXXX)
broker=""
cleanup() {
  [ -n "$broker" ] && kill "$broker" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# As packaging/mosquitto/meterlogger.conf recommends for the server's broker: no queue limit for
# a persistent session, and a wide in-flight window towards the server.
start_mosquitto "$dir" "max_queued_messages 0" "max_inflight_messages 1000"
build/release/bench/ingest/ingest_bench "$port" build/release/apps/meterlogger-server/meterlogger-server \
  "$dir" "${1:-10000}" "${2:-3}"
