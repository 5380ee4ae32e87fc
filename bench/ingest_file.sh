#!/usr/bin/env bash
# The ingest pipeline alone, without a broker: `meterlogger-server ingest --from` on SQLite and on
# PostgreSQL against a per-message pipeline in the original server's style
# (bench/ingest/baseline.cpp: key looked up, verified, decrypted, split, one INSERT per message
# in autocommit, SQLite), all on one generated capture file (bench/ingest/capture_gen.cpp:
# METERS meters with keys of their own, SAMPLES_PER_METER `sim backfill` samples each, sealed, in
# the order of a live capture, or meter by meter with ORDER=meter). Release build; the measured
# process pinned to core 1 (taskset -c 1); PostgreSQL a throwaway cluster
# (tests/postgresql/cluster: a Unix socket, fsync off) on whatever core is left. Each is run RUNS
# times on a fresh database and the median is printed with the ratio to the baseline's median;
# then `ingest --from` runs a second time on its database (every message a duplicate). Record the
# output in bench/RESULTS.md. (bench/ingest.sh measures `run` end to end, through a broker.)
# Usage: bench/ingest_file.sh [METERS=1000] [SAMPLES_PER_METER=120] [BATCH=500] [ORDER=minute]
#                             [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
meters=${1:-1000}
per_meter=${2:-120}
batch=${3:-500}
order=${4:-minute}
runs=${5:-3}
cmake --preset release >/dev/null
flock /tmp/ml-build.lock cmake --build --preset release \
  --target meterlogger-server capture_gen ingest_baseline >/dev/null
bin=build/release
server="$bin/apps/meterlogger-server/meterlogger-server"
dir=$(mktemp -d /tmp/ml-ingest-file-bench.XXXXXX)
cleanup() {
  tests/postgresql/cluster stop "$dir/pg" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
tests/postgresql/cluster start "$dir/pg"
url=$(cat "$dir/pg/url")
order_flag=()
[ "$order" = meter ] && order_flag=(--by-meter)
"$bin/bench/ingest/capture_gen" "$dir" "$meters" "$per_meter" "${order_flag[@]}" \
  --sqlite "$dir/template.db" --postgresql "$url"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(uname -r); SQLite $(sqlite3 --version | cut -d' ' -f1)," \
  "$(psql -qtA "$url" -c 'SHOW server_version' | cut -d' ' -f1) (fsync off)"
echo "capture: $(wc -l <"$dir/capture.txt") messages, $(du -m "$dir/capture.txt" | cut -f1) MB;" \
  "batch $batch"

config() {  # config FILE DATABASE-LINE
  printf '[database]\n%s\n[mqtt]\nhost = "127.0.0.1"\n' "$2" >"$1"
}
rate() {  # the messages/s a run printed
  grep -o '[0-9]* messages/s' | head -n1 | cut -d' ' -f1
}
median() {
  sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
pg_db() {  # a fresh PostgreSQL database with the meters: its URL
  psql -qtA "$url" -c "CREATE DATABASE $1 TEMPLATE meterlogger" >/dev/null
  echo "$url" | sed "s|///meterlogger?|///$1?|"
}

declare -A results
for i in $(seq "$runs"); do
  rm -f "$dir"/base.db*
  out=$(taskset -c 1 "$bin/bench/ingest/ingest_baseline" "$dir/capture.txt" "$dir/meters.txt" \
    "$dir/base.db" normal)
  echo "$out"
  results[baseline]+="$(echo "$out" | rate) "

  rm -f "$dir"/server.db*
  cp "$dir/template.db" "$dir/server.db"
  config "$dir/sqlite.toml" "path = \"$dir/server.db\""
  out=$(taskset -c 1 "$server" --config "$dir/sqlite.toml" ingest --from "$dir/capture.txt" \
    --batch "$batch")
  echo "SQLite:     $(echo "$out" | head -n2 | tr '\n' ' ')"
  results[sqlite]+="$(echo "$out" | rate) "

  config "$dir/pg.toml" "url = \"$(pg_db "run$i")\""
  out=$(taskset -c 1 "$server" --config "$dir/pg.toml" ingest --from "$dir/capture.txt" \
    --batch "$batch")
  echo "PostgreSQL: $(echo "$out" | head -n2 | tr '\n' ' ')"
  results[postgresql]+="$(echo "$out" | rate) "
done
echo "second run on the same database (idempotent: every sample a duplicate):"
for backend in sqlite pg; do
  taskset -c 1 "$server" --config "$dir/$backend.toml" ingest --from "$dir/capture.txt" \
    --batch "$batch" | head -n2 | tr '\n' ' '
  echo
done
base=$(echo "${results[baseline]}" | tr ' ' '\n' | grep . | median)
printf "%-40s %12s %8s\n" "median of $runs runs" "messages/s" "ratio"
printf "%-40s %12s %8s\n" "baseline (per message, SQLite)" "$base" "1.0"
for backend in sqlite postgresql; do
  m=$(echo "${results[$backend]}" | tr ' ' '\n' | grep . | median)
  printf "%-40s %12s %8s\n" "ingest --from, $backend" "$m" \
    "$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.1f", a / b }')"
done
