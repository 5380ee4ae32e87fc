#!/usr/bin/env bash
# `meterlogger-server serve` under load (issue 12): two years of one-minute samples; the meter
# list's p95 idle, during a two-year CSV export and with 1 000 idle + 20 slow connections, the
# export's time and the server's memory (bench/dashboard/serve_load_bench.cpp says how). Record the
# output in bench/RESULTS.md.
# Usage: bench/serve_load.sh [RUNS=200]   (builds the release preset; seeding takes a few minutes)
# Exit status: 0 when the targets are met, 3 when not, 1 when the server answered something wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target serve_load_bench meterlogger-server >/dev/null
dir=$(mktemp -d /tmp/ml-serve-load.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
build/release/bench/dashboard/serve_load_bench build/release/apps/meterlogger-server/meterlogger-server \
  "$dir" "${1:-200}" || status=$?
exit "$status"
