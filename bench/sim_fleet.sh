#!/usr/bin/env bash
# `meterlogger sim fleet` at scale against a mosquitto on this machine: how many devices connect,
# how fast, the memory per device (fleet, broker, kernel) and the CPU at a steady sample rate
# (docs/emulators.md, "Scale"). Record the output in bench/RESULTS.md.
# Usage: bench/sim_fleet.sh [METERS=19900] [SECONDS=60] [INTERVAL=12] [SOURCE_ADDRESSES=8]
#   19 900 devices every 12 s send what 100 000 every 60 s send (1 658 samples/s).
#   SKIP_BUILD=1 uses build/release as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
if [ -z "${SKIP_BUILD:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target meterlogger >/dev/null
fi
bin=build/release/apps/meterlogger/meterlogger
meters=${1:-19900}
seconds=${2:-60}
interval=${3:-12}
sources=${4:-8}
dir=$(mktemp -d /tmp/ml-fleet-bench.XXXXXX)
broker=""
fleet=""
cleanup() {
  [ -n "$fleet" ] && kill "$fleet" 2>/dev/null || true
  [ -n "$broker" ] && kill "$broker" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# The broker needs a descriptor per device too: as many as the hard limit allows.
need_open_files $((meters + 64))
start_mosquitto "$dir" "persistence false" "max_connections -1" "max_inflight_messages 1000"
broker_rss_before=$(ps -o rss= -p "$broker")
slab_before=$(awk '/^Slab:/ {print $2}' /proc/meminfo)

"$bin" sim fleet --make-keys "$dir/keys.csv" --meters "$meters" >/dev/null
"$bin" sim fleet --keys "$dir/keys.csv" --broker "127.0.0.1:$port" --interval "$interval" \
  --connect-rate 5000 --source-addresses "127.0.0.1-127.0.0.$sources" --duration "$seconds" \
  --status-every 5 --stats "$dir/stats.json" --quiet >/dev/null &
fleet=$!
# Steady state: the CPU of both over the second half of the run, the memory near its end.
sleep $((seconds / 2))
fleet_ticks=$(cpu_ticks "$fleet")
broker_ticks=$(cpu_ticks "$broker")
sleep $((seconds / 2 - 2))
fleet_cpu=$(($(cpu_ticks "$fleet") - fleet_ticks))
broker_cpu=$(($(cpu_ticks "$broker") - broker_ticks))
window=$((seconds / 2 - 2))
broker_rss=$(ps -o rss= -p "$broker")
slab=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
wait "$fleet"
fleet=""
hz=$(getconf CLK_TCK)
jq -r --argjson window "$window" --argjson hz "$hz" --argjson fcpu "$fleet_cpu" \
  --argjson bcpu "$broker_cpu" --argjson brss "$broker_rss" --argjson brss0 "$broker_rss_before" \
  --argjson slab "$slab" --argjson slab0 "$slab_before" --argjson interval "$interval" '
  "devices                 \(.devices) (\(.connected) connected at the end, \(.connect_failures) failed attempts, \(.disconnects) lost)",
  "all connected after     \(.all_connected_after_s) s (\((.connected / .all_connected_after_s) | floor) connections/s)",
  "samples                 \(.samples.published) published, \(.samples.acknowledged) acknowledged, \(.samples.dropped) dropped (\((.devices / $interval * 10 | floor) / 10)/s expected)",
  "fleet memory            \(.memory.rss_bytes / 1048576 | floor) MiB, \(.memory.bytes_per_device) B per device over \(.memory.rss_before_devices_bytes / 1048576 | floor) MiB",
  "broker memory           \($brss / 1024 | floor) MiB, \((($brss - $brss0) * 1024 / .connected) | floor) B per connection",
  "kernel memory (slab)    \((($slab - $slab0) * 1024 / .connected) | floor) B per device (both ends)",
  "CPU, steady state       fleet \(($fcpu / $hz / $window * 1000 | floor) / 10) %, broker \(($bcpu / $hz / $window * 1000 | floor) / 10) % of a core"
' "$dir/stats.json"
