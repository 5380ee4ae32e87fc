#!/usr/bin/env bash
# Resident memory and CPU of `meterlogger agent` with N emulated KMP meters read every 60 s,
# measured from /proc over a run of M minutes against a local mosquitto. Record the output in
# bench/RESULTS.md.
# Usage: bench/agent_resources.sh [METERS=1] [MINUTES=10]   (builds the gateway preset first,
#        the -Os build gateways run; ML_PRESET=release measures another preset, ML_BIN=path/to/
#        meterlogger a given binary)
set -euo pipefail
cd "$(dirname "$0")/.."
meters=${1:-1}
minutes=${2:-10}
preset=${ML_PRESET:-gateway}
ml=${ML_BIN:-build/$preset/apps/meterlogger/meterlogger}
if [ -z "${ML_BIN:-}" ]; then
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target meterlogger >/dev/null
fi
dir=$(mktemp -d /tmp/ml-agent-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$dir/mosquitto.conf"
mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do  # until it listens
  grep -q "listen socket on port $port" "$dir/mosquitto.log" 2>/dev/null && break
  sleep 0.1
done
{
  echo "state_dir = \"$dir/state\""
  echo "[mqtt]"
  echo "host = \"127.0.0.1\""
  echo "port = $port"
} > "$dir/agent.toml"
for i in $(seq 1 "$meters"); do
  serial=$((1000000 + i))
  "$ml" sim kmp --model mc601 --serial "$serial" --link "$dir/kmp$i" --quiet > /dev/null &
  pids+=($!)
  printf '[[meter]]\nprotocol = "kmp"\nport = "%s"\nkey = "ef500c9268cf749016d26d6cbfaaf7bf"\ninterval = 60\n' \
    "$dir/kmp$i" >> "$dir/agent.toml"
done
mosquitto_sub -h 127.0.0.1 -p "$port" -t '/sample/v2/#' -F '%t' > "$dir/samples.txt" &
pids+=($!)
sleep 2
"$ml" agent --config "$dir/agent.toml" 2> "$dir/agent.log" &
agent=$!
pids+=($agent)
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
sleep 5  # start-up (first reads, connections) is not the steady state
start_ticks=$(cpu_ticks)
start_time=$(date +%s.%N)
max_rss=0
end=$(( $(date +%s) + minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent/status")
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
  sleep 10
done
ticks=$(( $(cpu_ticks) - start_ticks ))
wall=$(echo "$(date +%s.%N) - $start_time" | bc)
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent/status")
echo "meters: $meters, interval 60 s, measured over $(printf '%.0f' "$wall") s"
echo "agent RSS: $((rss / 1024)) MiB at the end, $((max_rss / 1024)).$(( (max_rss % 1024) * 10 / 1024 )) MiB at most"
echo "agent CPU: $(echo "scale=3; 100 * $ticks / $hz / $wall" | bc) % of one core"
echo "samples received by a subscriber: $(wc -l < "$dir/samples.txt")"
