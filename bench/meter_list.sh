#!/usr/bin/env bash
# The meter list and the meter page with 10 000 meters, half prepaid with two years of daily
# rollups (bench/dashboard/meter_list_bench.cpp says how). Record the output in bench/RESULTS.md.
# Usage: bench/meter_list.sh [METERS=10000] [RUNS=10] [HISTORY_DAYS=730]   (builds the release
# preset; a few minutes)
# Exit status: 0 when the goal (list <= 1 s warm) is met, 3 when not, 1 when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target meter_list_bench >/dev/null
dir=$(mktemp -d /tmp/ml-meter-list-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
build/release/bench/dashboard/meter_list_bench "$dir" "${1:-10000}" "${2:-10}" "${3:-730}" || status=$?
echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
