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

# build_fleet_programs: the release build of `meterlogger` and `meterlogger-server` (unless
# SKIP_BUILD is set); sets fleet_bin and server_bin.
build_fleet_programs() {
  if [ -z "${SKIP_BUILD:-}" ]; then
    cmake --preset release >/dev/null
    flock /tmp/ml-build.lock cmake --build --preset release --target meterlogger \
      meterlogger-server >/dev/null
  fi
  # shellcheck disable=SC2034 # for the caller
  fleet_bin=build/release/apps/meterlogger/meterlogger
  # shellcheck disable=SC2034 # for the caller
  server_bin=build/release/apps/meterlogger-server/meterlogger-server
}

# bench_folder PREFIX: a new folder /tmp/PREFIX.XXXXXX in `dir`, every background job in a
# process group of its own, and at exit every job's group ended, the PostgreSQL clusters of
# DIR/sqlite/pg and DIR/postgresql/pg stopped and the folder removed (kept with KEEP=1).
bench_folder() {
  dir=$(mktemp -d "/tmp/$1.XXXXXX")
  set -m
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local job
  for job in $(jobs -p); do kill -- "-$job" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for job in sqlite postgresql; do
    tests/postgresql/cluster stop "$dir/$job/pg" >/dev/null 2>&1 || true
  done
  if [ -n "${KEEP:-}" ]; then echo "kept: $dir" >&2; else rm -rf "$dir"; fi
}

# machine_line: the machine, mosquitto's version and the load average, for the record.
machine_line() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(free -g | awk '/^Mem:/ { print $2 }') GiB, Linux $(uname -r);" \
    "$(mosquitto -h 2>&1 | head -n1 || true);" \
    "load average at the start $(cut -d' ' -f1-3 /proc/loadavg)"
}

# pg_ticks POSTMASTER: the CPU ticks of PostgreSQL: the postmaster, its children, and its
# children that have ended.
pg_ticks() {
  local pid t
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat")
  for pid in $(ps -o pid= --ppid "$1"); do
    t=$((t + $(cpu_ticks "$pid" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# vm_hwm_mib PID: the process's peak resident memory, MiB.
vm_hwm_mib() {
  awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"
}

# backends_of MODE USAGE: sets `backends` from sqlite | postgresql | both, or prints USAGE and
# exits 2.
backends_of() {
  # shellcheck disable=SC2034 # for the caller
  case "$1" in
    sqlite | postgresql) backends=$1 ;;
    both) backends="sqlite postgresql" ;;
    *)
      echo "usage: $2" >&2
      exit 2
      ;;
  esac
}
