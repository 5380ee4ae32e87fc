#!/usr/bin/env bash
# One agent end to end, for the cross builds (tests/cross/CMakeLists.txt): an emulated KMP meter
# (`meterlogger sim`) -> `meterlogger agent` -> this machine's mosquitto; the first sample is
# received with mosquitto_sub and opened with `meterlogger crypto open` (key and MAC checked),
# its values compared with the frozen emulator's; then the agent must stop cleanly on SIGTERM.
# The meterlogger binary runs under EMULATOR (qemu-user with its arguments) when one is given.
# Deadlines are base figures times ML_TEST_TIME_SCALE (default 1). Every process it starts is
# ended at exit. Prints the agent's peak resident memory
# and CPU time (of the emulator process, when emulated) for bench/RESULTS.md.
# Usage: agent_e2e.sh METERLOGGER MOSQUITTO MOSQUITTO_SUB [EMULATOR [ARG...]]
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 METERLOGGER MOSQUITTO MOSQUITTO_SUB [EMULATOR [ARG...]]" >&2
  exit 2
fi
tool=$1 mosquitto=$2 mosquitto_sub=$3
shift 3
emulator=("$@")
ml=("${emulator[@]}" "$tool")
scale=${ML_TEST_TIME_SCALE:-1}
key=ef500c9268cf749016d26d6cbfaaf7bf
serial=6892850

dir=$(mktemp -d)
# Ends every process this script started (each is a direct child: mosquitto, mosquitto_sub and
# the meterlogger processes, or the emulator running them), also when ctest stops the script.
cleanup() {
  local status=$?
  trap - EXIT
  local pids
  pids=$(jobs -p)
  if [ -n "$pids" ]; then
    kill -TERM $pids 2>/dev/null || true
    sleep 0.5
    kill -KILL $pids 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  if [ $status -ne 0 ]; then
    for f in "$dir"/*.log; do
      if [ -f "$f" ]; then
        echo "--- $(basename "$f")"
        tail -n 40 "$f"
      fi
    done
  fi
  rm -rf "$dir"
  exit $status
}
trap cleanup EXIT
trap 'exit 143' TERM INT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Polls CONDITION (a command) every 0.1 s until it succeeds or BASE_SECONDS * scale pass.
wait_for() {
  local base=$1
  shift
  local deadline=$((SECONDS + base * scale))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# The broker, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
  if [ "$(id -u)" -eq 0 ]; then echo "user root"; fi
  echo "listener $port 127.0.0.1"
  echo "allow_anonymous true"
  echo "persistence false"
} >"$dir/mosquitto.conf"
"$mosquitto" -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
wait_for 10 port_open || fail "mosquitto did not listen on port $port"

# The meter: a KMP emulator on a pseudo-terminal, frozen so its values are known.
"${ml[@]}" sim kmp --link "$dir/meter" --control "$dir/meter.ctl" --quiet --serial "$serial" \
  --freeze --start-energy 56726 --start-volume 1321.27 >"$dir/sim.log" 2>&1 &
wait_for 20 test -e "$dir/meter" || fail "the emulator did not create its link"

# The subscriber first: it prints "<topic> <payload in hex>" of the first sample and exits.
"$mosquitto_sub" -h 127.0.0.1 -p "$port" -q 1 -C 1 -W $((60 * scale)) -F '%t %x' \
  -t "/sample/v2/$serial/#" >"$dir/sample.txt" 2>"$dir/sub.log" &
sub=$!

cat >"$dir/agent.toml" <<TOML
state_dir = "$dir/state"
log_level = "debug"

[mqtt]
host = "127.0.0.1"
port = $port

[[meter]]
protocol = "kmp"
port = "$dir/meter"
key = "$key"
interval = 2
TOML
"${ml[@]}" agent --config "$dir/agent.toml" >"$dir/agent.log" 2>&1 &
agent=$!

wait "$sub" || fail "no sample within $((60 * scale)) s"
read -r topic payload <"$dir/sample.txt" || fail "empty sample line"
[[ $topic =~ ^/sample/v2/$serial/[0-9]+$ ]] || fail "unexpected topic '$topic'"
# The envelope: 32-byte HMAC-SHA256, 16-byte IV, AES-128-CBC blocks (docs/protocols/envelope.md).
bytes=$((${#payload} / 2))
[ $bytes -ge 64 ] && [ $(((bytes - 48) % 16)) -eq 0 ] || fail "payload of $bytes bytes"
opened=$("${ml[@]}" crypto open --key "$key" --topic "$topic" "$payload") ||
  fail "the sample did not open: $opened"
echo "sample $topic ($bytes bytes): $opened"
[[ $opened == *"e1=56726 kWh&"* ]] || fail "e1 is not the emulator's 56726 kWh"
[[ $opened == *"v1=1321.27 m3&"* ]] || fail "v1 is not the emulator's 1321.27 m3"

# The agent's footprint so far (the emulator process's when emulated), then a clean stop.
rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent/status")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$agent/stat")
ticks=$(getconf CLK_TCK)
echo "agent: peak RSS ${rss_kb} kB, CPU $(((utime + stime) * 1000 / ticks)) ms (user $((utime * 1000 / ticks)) ms, system $((stime * 1000 / ticks)) ms)${emulator:+ under $(basename "${emulator[0]}")}"
kill -TERM "$agent"
status=0
# Gone or a zombie (our child until `wait`): it has exited.
agent_exited() { [ ! -e "/proc/$agent" ] || [ "$(awk '{print $3}' "/proc/$agent/stat")" = Z ]; }
wait_for 20 agent_exited || fail "the agent did not stop on SIGTERM"
wait "$agent" || status=$?
[ $status -eq 0 ] || fail "the agent exited with status $status"
echo "PASS"
