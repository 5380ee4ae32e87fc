#!/usr/bin/env bash
# The time-left estimator's accuracy, seasonal against recent, on a few years of seasonal daily
# data from the emulated installation (bench/estimate/estimate_bench.cpp says how). Record the
# output in bench/RESULTS.md.
# Usage: bench/estimate.sh [METERS=4] [AMPLITUDE_PM=800]   (builds the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${ML_BENCH_PRESET:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target estimate_bench >/dev/null
dir=$(mktemp -d /tmp/ml-estimate-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"build/$preset/bench/estimate/estimate_bench" "$dir" "${1:-4}" "${2:-800}"
