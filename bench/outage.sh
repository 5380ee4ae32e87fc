#!/usr/bin/env bash
# An outage at 100 000 meters' rate (issue 17): `meterlogger sim fleet` runs 19 900 devices every
# 12 s (what 100 000 every 60 s send; this machine's open-files limit allows no more connections)
# through a mosquitto on this machine to `meterlogger-server run`, on SQLite or on a throwaway
# PostgreSQL cluster (tests/postgresql/cluster: Unix socket, fsync off). After WARMUP s every
# connection drops for OUTAGE s (the fleet's --outage-mode disconnect: each device keeps its
# samples in its outbox, as the agent does), then every device reconnects at once (5 000
# connections a second) and publishes its backlog beside its new samples. It measures:
# - the backlog: the samples taken during the outage (from the fleet's publish log);
# - the drain: from the end of the outage until the database holds every sample taken up to it
#   (`SELECT count(*) FROM samples WHERE time <= END`, polled every POLL_EVERY s, compared with
#   the publish log's count once the fleet has stopped), and the rate that makes;
# - lost: the samples the fleet published less those stored, once `run` has stored everything
#   (duplicates are impossible: the key is (serial, time)); samples a device dropped from a full
#   outbox (--outbox, here well above a device's backlog) are counted apart;
# - CPU seconds of mosquitto, `run` and PostgreSQL during the drain, and their peak memory.
# The server's poll of every meter runs every POLL_INTERVAL s (600 s scaled as the samples are:
# 120 s), so commands to devices that are away are queued and expire as they would.
# Usage: bench/outage.sh [sqlite|postgresql|both] [OUTAGE=1800] [METERS=19900] [INTERVAL=12]
#   environment: WARMUP=60, POLL_INTERVAL=600*INTERVAL/60 (0: off), POLL_EVERY=5,
#   DRAIN_MAX=1800, SKIP_BUILD=1 (use build/release as it is), KEEP=1 (keep /tmp/ml-outage.*).
#   Each backend takes about WARMUP + OUTAGE + the drain + 1 minute. The machine is idle during
#   the outage but for the server's poll; the drain is what must not share the machine. Record
#   the output in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
mode=${1:-both}
outage=${2:-1800}
meters=${3:-19900}
interval=${4:-12}
warmup=${WARMUP:-60}
poll=${POLL_INTERVAL:-$((600 * interval / 60))}
poll_every=${POLL_EVERY:-5}
drain_max=${DRAIN_MAX:-1800}
backends_of "$mode" "$0 [sqlite|postgresql|both] [OUTAGE=1800] [METERS=19900] [INTERVAL=12]"
build_fleet_programs
need_open_files $((meters + 64))
hz=$(getconf CLK_TCK)
bench_folder ml-outage

"$fleet_bin" sim fleet --make-keys "$dir/keys.csv" --meters "$meters" >/dev/null
machine_line
echo "fleet: $meters devices every $interval s; outage $outage s after all connected + $warmup s;" \
  "poll every $poll s (0: off)"

measure() {
  local backend=$1 run=$dir/$1 db_line url="" postmaster=""
  mkdir -p "$run"
  if [ "$backend" = sqlite ]; then
    db_line="path = \"$run/server.db\""
  else
    tests/postgresql/cluster start "$run/pg" >/dev/null
    url=$(cat "$run/pg/url")
    db_line="url = \"$url\""
    postmaster=$(head -n1 "$(cat "$run/pg/home")/data/postmaster.pid")
  fi
  count_up_to() {  # count_up_to T: samples stored with time <= T
    local sql="SELECT count(*) FROM samples WHERE time <= $1"
    if [ "$backend" = sqlite ]; then
      sqlite3 -cmd ".timeout 10000" "file:$run/server.db?mode=ro" "$sql"
    else
      psql -Atq "$url" -c "$sql"
    fi
  }
  # As packaging/mosquitto/meterlogger.conf: no queue limit for a persistent session.
  start_mosquitto "$run" "persistence false" "max_connections -1" "max_queued_messages 0" \
    "max_inflight_messages 1000"
  cat >"$run/server.toml" <<CONF
[database]
$db_line
[mqtt]
host = "127.0.0.1"
port = $port
[commands]
poll_interval = $poll
CONF
  "$server_bin" --config "$run/server.toml" meters import "$dir/keys.csv" >/dev/null
  "$server_bin" --config "$run/server.toml" run >"$run/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 600); do
    grep -q "ingest: connected" "$run/server.log" && break
    sleep 0.1
  done
  # The outage begins WARMUP s after the last device connected; the fleet is told when to start
  # it from its own start, so the connection phase (about 25 s) is allowed for generously and the
  # real start is read from its log.
  local outage_at=$((60 + warmup))
  "$fleet_bin" sim fleet --keys "$dir/keys.csv" --broker "127.0.0.1:$port" \
    --interval "$interval" --connect-rate 5000 --source-addresses 127.0.0.1-127.0.0.8 \
    --outage-at "$outage_at" --outage-for "$outage" --outage-mode disconnect \
    --outbox $((2 * outage / interval + 100)) --status-every 1 --stats "$run/stats.json" \
    --publish-log "$run/published.csv" >"$run/fleet.json" 2>"$run/fleet.log" &
  local fleet=$!
  for _ in $(seq $(((outage_at + outage + 120) * 2))); do
    [ "$(jq '.outage.count >= 1 and (.outage.active | not)' "$run/stats.json" 2>/dev/null)" = \
      true ] && break
    if ! kill -0 "$fleet" 2>/dev/null; then
      echo "$backend: the fleet ended:" >&2
      tail -n 20 "$run/fleet.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  local end_s end_ms t0 c0
  end_ms=$(date +%s%3N)
  end_s=$((end_ms / 1000))
  t0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  c0="$(cpu_ticks "$broker") $(cpu_ticks "$server") ${postmaster:+$(pg_ticks "$postmaster")}"
  # The drain: the stored count of samples up to the outage's end, every POLL_EVERY s, until it
  # stops growing for a minute (the publish log says afterwards what the full count is).
  local last=-1 same=0 now n
  : >"$run/drain.txt"
  while :; do
    sleep "$poll_every"
    now=$(date +%s%3N)
    n=$(count_up_to "$end_s" 2>/dev/null || echo "$last")
    echo "$((now - end_ms)) $n" >>"$run/drain.txt"
    if [ "$n" = "$last" ]; then same=$((same + poll_every)); else same=0; fi
    last=$n
    [ "$same" -ge 60 ] && break
    if [ $(((now - end_ms) / 1000)) -ge "$drain_max" ]; then
      echo "$backend: still draining after $drain_max s" >&2
      break
    fi
  done
  local t1 c1 window_ms
  window_ms=$(($(date +%s%3N) - end_ms))
  t1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  c1="$(cpu_ticks "$broker") $(cpu_ticks "$server") ${postmaster:+$(pg_ticks "$postmaster")}"
  local broker_mib run_mib
  broker_mib=$(vm_hwm_mib "$broker")
  run_mib=$(vm_hwm_mib "$server")
  kill -TERM "$fleet"
  wait "$fleet" || true
  # Everything the fleet published is stored once `run` has caught up.
  local published stored dropped
  published=$(jq .samples.published "$run/fleet.json")
  dropped=$(jq .samples.dropped "$run/fleet.json")
  for _ in $(seq $((drain_max / 2))); do
    stored=$(count_up_to 9999999999 2>/dev/null || echo 0)
    [ "$stored" -ge "$published" ] && break
    sleep 2
  done
  kill -TERM "$server"
  wait "$server" || true
  local expected backlog drained_ms
  expected=$(awk -F, -v t="$end_s" 'NR > 1 && $2 <= t { n++ } END { print n + 0 }' \
    "$run/published.csv")
  backlog=$(awk -F, -v t="$end_s" -v o="$outage" \
    'NR > 1 && $2 <= t && $2 > t - o { n++ } END { print n + 0 }' "$run/published.csv")
  drained_ms=$(awk -v e="$expected" '$2 >= e { print $1; exit }' "$run/drain.txt")
  echo
  echo "== $backend"
  echo "backlog: $backlog samples taken during the $outage s outage" \
    "($((backlog / meters)) a device); $expected samples with time <= the outage's end"
  if [ -n "$drained_ms" ]; then
    echo "drain: every one of them stored $(awk -v m="$drained_ms" 'BEGIN { printf "%.0f", m / 1000 }') s" \
      "after the outage ended (polled every $poll_every s), $(awk -v b="$backlog" -v m="$drained_ms" \
        'BEGIN { printf "%.0f", b / (m / 1000) }') backlog samples/s beside the new ones"
  else
    echo "drain: NOT complete: $(tail -n1 "$run/drain.txt" | cut -d' ' -f2) of $expected stored"
  fi
  echo "published $published, stored $stored, lost $((published - stored))," \
    "dropped from full outboxes $dropped"
  echo "CPU during the drain ($(awk -v w="$window_ms" 'BEGIN { printf "%.0f", w / 1000 }') s," \
    "% of a core): $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v w="$window_ms" 'BEGIN {
      split(a, x, " "); split(b, y, " "); split("mosquitto run postgresql", name, " ")
      for (i = 1; i <= 3; i++) if (i in x) printf "%s %.0f; ", name[i], 100 * (y[i] - x[i]) / hz / (w / 1000)
    }')the whole machine $(awk -v t0="$t0" -v t1="$t1" -v hz="$hz" -v w="$window_ms" \
      'BEGIN { printf "%.0f", 100 * (t1 - t0) / hz / (w / 1000) }')"
  echo "peak memory: mosquitto $broker_mib MiB, run $run_mib MiB"
  kill -TERM "$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
  if [ -n "$postmaster" ]; then tests/postgresql/cluster stop "$run/pg" >/dev/null; fi
}

for backend in $backends; do measure "$backend"; done
