# shellcheck shell=bash
# Shared by the bench scripts that start a broker (sourced, not run): a throwaway mosquitto on
# a random loopback port, the open-files check of a fleet, a process's CPU time.

# need_open_files N: stops the script unless the hard limit of open files is at least N (a fleet
# and its broker each hold a descriptor per device).
need_open_files() {
  local hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$1" ]; then
    echo "open files: the hard limit is $hard, this run needs $1 in the fleet and in the" \
      "broker; raise it as root (ulimit -Hn) or give fewer METERS" >&2
    exit 1
  fi
}

# start_mosquitto DIR [CONFIG LINE ...]: mosquitto on a free port of 127.0.0.1 below the ephemeral
# range (a fleet's connections take ports from that range), anonymous, with the given lines added
# to its configuration and its soft limit of open files raised to the hard limit;
# DIR/mosquitto.conf and DIR/mosquitto.log. Sets `port` and `broker` (its pid).
start_mosquitto() {
  local dir=$1 low
  shift
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in 1 2 3 4 5; do
    port=$((10000 + RANDOM % (low - 10000)))
    {
      echo "listener $port 127.0.0.1"
      echo "allow_anonymous true"
      printf '%s\n' "$@"
    } >"$dir/mosquitto.conf"
    (ulimit -n "$(ulimit -Hn)" && exec mosquitto -c "$dir/mosquitto.conf") >"$dir/mosquitto.log" 2>&1 &
    # shellcheck disable=SC2034 # for the caller
    broker=$!
    for _ in $(seq 100); do
      grep -q "mosquitto version .* running" "$dir/mosquitto.log" 2>/dev/null && return 0
      kill -0 "$broker" 2>/dev/null || break  # the port was taken: another one
      sleep 0.1
    done
    kill "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
  done
  echo "mosquitto did not start:" >&2
  cat "$dir/mosquitto.log" >&2
  return 1
}

# cpu_ticks PID: the user and system time the process has used, in clock ticks (getconf CLK_TCK).
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
