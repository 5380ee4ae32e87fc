#!/usr/bin/env bash
# Answer times of the server's HTTP API for the dashboard (issue 7): 1 000 meters, one of them with
# a year of one-minute samples; the meter list and the charts, timed through HTTP
# (bench/dashboard/dashboard_bench.cpp says how). Record the output in bench/RESULTS.md.
# Usage: bench/dashboard.sh [RUNS=50] [BR_RUNS=20]   (builds the release preset; ~3 minutes)
# Exit status: 0 when the targets are met, 3 when not, 1 when the API answered something wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target dashboard_bench >/dev/null
dir=$(mktemp -d /tmp/ml-dashboard-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine" \
  "shows in the numbers)"
status=0
build/release/bench/dashboard/dashboard_bench "$dir" "${1:-50}" "${2:-20}" || status=$?
exit "$status"
