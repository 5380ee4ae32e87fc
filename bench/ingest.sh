#!/usr/bin/env bash
# The server's ingest throughput, end to end, against the broker's own delivery rate for the same
# messages (bench/ingest/ingest.cpp says how). Record the output in bench/RESULTS.md.
# Usage: bench/ingest.sh [METERS=10000] [SAMPLES_PER_METER=3]   (builds the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
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
port=$((20000 + RANDOM % 20000))
# As packaging/mosquitto/meterlogger.conf recommends for the server's broker: no queue limit for
# a persistent session, and a wide in-flight window towards the server.
cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 1000
CONF
mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
broker=$!
for _ in $(seq 100); do
  grep -q "listen socket on port $port" "$dir/mosquitto.log" 2>/dev/null && break
  sleep 0.1
done
build/release/bench/ingest/ingest_bench "$port" build/release/apps/meterlogger-server/meterlogger-server \
  "$dir" "${1:-10000}" "${2:-3}"
