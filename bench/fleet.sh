#!/usr/bin/env bash
# The server at 100 000 meters' rate, end to end (issue 17): `meterlogger sim fleet` publishes
# through a mosquitto on this machine, `meterlogger-server run` stores, on SQLite and on a
# throwaway PostgreSQL cluster (tests/postgresql/cluster: Unix socket, fsync off). After a warm-up
# (every device connected, then WARMUP s) it measures over SECONDS:
# - the lag from a sample's publication to its commit. `run`'s [homeassistant] publishes a meter's
#   state after each stored sample's transaction committed (docs/homeassistant.md); a
#   mosquitto_sub timestamps each state as it arrives (%U, ns) and the fleet's --publish-log gives
#   each sample's first publication (ms). A state names its meter but not the sample's time, so
#   the k-th state of a meter is matched with the k-th sample the meter published; a meter whose
#   two counts differ at the end is left out (and counted). The lag so includes the hop from
#   `run` back through the broker to the subscriber, and the probe is not free: [homeassistant]
#   decides per sample whether to announce the meter again (its `version` reply is read once per
#   refresh). With HA_PROBE=N only every N-th meter is in [homeassistant]'s group, and the lag is
#   that of those meters: the probe's cost falls to a N-th, close to the lag without
#   [homeassistant].
# - lost samples: the fleet's count of samples published less the samples in the database once
#   `run` has stored everything it was sent (the fleet stopped; duplicates are impossible, the
#   key is (serial, time)).
# - CPU seconds (utime + stime from /proc) of mosquitto, `run`, the fleet, PostgreSQL (all its
#   processes) and the subscriber, what the rest of the machine used meanwhile, the peak memory
#   (VmHWM; PostgreSQL: the largest sum of its processes' Pss, sampled every 2 s) and the
#   broker's PUBLISH rates ($SYS).
# - commands under that load: COMMANDS `meterlogger-server send SERIAL uptime --wait --timing`,
#   spread over the window, each to a random meter. The round trip (queued → the reply stored) is
#   what `send --timing` prints: from the command's commit until it saw the reply stored, looking
#   every 5 ms (the commands table keeps whole seconds). The time around the whole call (with
#   `send` starting) is shown too, and the subscriber sees the command and the reply pass the
#   broker. `uptime` because the server's own poll never sends it.
# 100 000 devices each need a connection, a descriptor in the fleet and one in the broker; this
# machine's hard limit of open files is 20 000, so the default is 19 900 devices every 12 s,
# 1 658 samples/s, what 100 000 every 60 s send. The server's poll of every meter runs every
# POLL_INTERVAL s, by default 600 s scaled the same way (120 s at 12 s): 100 000 meters' rate of
# polls too. [homeassistant] queue_max is raised to its maximum (60 000) so that the discovery
# configs of every meter at its first sample do not crowd out states; drops are reported.
# Usage: bench/fleet.sh [sqlite|postgresql|both] [SECONDS=600] [METERS=19900] [INTERVAL=12]
#   environment: WARMUP=60, COMMANDS=200, POLL_INTERVAL=600*INTERVAL/60 (0: off), DRAIN_IDLE=300,
#   DRAIN_MAX=1800 (how long to wait for `run` to store everything after the fleet stopped),
#   PUBLISH_LOG_SHARE=1 (the share of the devices whose samples are timed), WORKERS=0 (N: that
#   many `run --worker wK` sharing the ingest instead of one `run`; PostgreSQL), HA_PROBE=0 (N:
#   [homeassistant] for every N-th meter only, the lag measured on those), HISTORY_DAYS=0 (N: the
#   database holds N days of one-minute samples for every meter before the fleet starts, as
#   the server keeps them, from `month_bench --fill`; stored samples then counted by the
#   stored-samples counters), SKIP_BUILD=1
#   (use build/release as it is), KEEP=1 (keep the logs and data in /tmp/ml-fleet-lag.*).
#   Each backend takes SECONDS + WARMUP + 2 minutes when `run` keeps up; when it does not, up to
#   300 s more for the last commands and DRAIN_MAX for the drain. Record the output in
#   bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
mode=${1:-both}
seconds=${2:-600}
meters=${3:-19900}
interval=${4:-12}
warmup=${WARMUP:-60}
commands=${COMMANDS:-200}
poll=${POLL_INTERVAL:-$((600 * interval / 60))}
share=${PUBLISH_LOG_SHARE:-1}
workers=${WORKERS:-0}
probe=${HA_PROBE:-0}
history=${HISTORY_DAYS:-0}
backends_of "$mode" "$0 [sqlite|postgresql|both] [SECONDS=600] [METERS=19900] [INTERVAL=12]"
build_fleet_programs
if [ "$history" -gt 0 ] && [ -z "${SKIP_BUILD:-}" ]; then
  flock /tmp/ml-build.lock cmake --build --preset release --target month_bench >/dev/null
fi
need_open_files $((meters + 64))
hz=$(getconf CLK_TCK)
bench_folder ml-fleet-lag

# pg_pss POSTMASTER: PostgreSQL's memory in KiB, each process's Pss (shared memory counted once).
pg_pss() {
  local files=("/proc/$1/smaps_rollup") pid
  for pid in $(ps -o pid= --ppid "$1"); do files+=("/proc/$pid/smaps_rollup"); done
  awk '/^Pss:/ { s += $2 } END { print s + 0 }' "${files[@]}" 2>/dev/null || true
}
# percentiles: numbers on stdin -> "N p50 p90 p99 max" (nearest rank), "0 - - - -" for none.
percentiles() {
  sort -g | awk '
    function rank(p,  i) { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; return v[i] }
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "0 - - - -"; exit }
      print NR, rank(0.5), rank(0.9), rank(0.99), v[NR]
    }'
}
wait_for_line() {  # wait_for_line TEXT FILE SECONDS
  local i
  for i in $(seq $(($3 * 10))); do
    grep -q "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no \"$1\" in $2 after $3 s:" >&2
  tail -n 20 "$2" >&2
  return 1
}

"$fleet_bin" sim fleet --make-keys "$dir/keys.csv" --meters "$meters" >/dev/null
ha_group=fleet
if [ "$probe" -gt 0 ]; then
  # Every N-th meter in the group [homeassistant] publishes; the lag is timed on those.
  ha_group=probe
  awk -F, -v OFS=, -v n="$probe" 'NR > 1 && (NR - 2) % n == 0 { $5 = "probe" } { print }' \
    "$dir/keys.csv" >"$dir/keys.tmp"
  mv "$dir/keys.tmp" "$dir/keys.csv"
  chmod 600 "$dir/keys.csv"
fi
machine_line
echo "fleet: $meters devices every $interval s ($(awk -v m="$meters" -v i="$interval" \
  'BEGIN { printf "%.0f", m / i }') samples/s; 100 000 every 60 s send 1 667/s, and the" \
  "open-files limit here, $(ulimit -Hn), allows no more connections); warm-up: all connected" \
  "+ $warmup s; window $seconds s; poll every $poll s (0: off); $commands commands;" \
  "[homeassistant] for $([ "$probe" -gt 0 ] && echo "every $probe-th meter (HA_PROBE)" ||
    echo "every meter"); $([ "$history" -gt 0 ] &&
    echo "a history of $history days for every meter (HISTORY_DAYS)" || echo "empty tables")"

measure() {
  local backend=$1 run=$dir/$1 db_line url="" postmaster="" name
  mkdir -p "$run"
  if [ "$backend" = sqlite ]; then
    db_line="path = \"$run/server.db\""
  else
    tests/postgresql/cluster start "$run/pg" >/dev/null
    url=$(cat "$run/pg/url")
    db_line="url = \"$url\""
    postmaster=$(head -n1 "$(cat "$run/pg/home")/data/postmaster.pid")
  fi
  # As packaging/mosquitto/meterlogger.conf: no queue limit for a persistent session, a wide
  # in-flight window; the $SYS counters every second.
  start_mosquitto "$run" "persistence false" "max_connections -1" "max_queued_messages 0" \
    "max_inflight_messages 1000" "sys_interval 1"
  cat >"$run/server.toml" <<CONF
[database]
$db_line
[mqtt]
host = "127.0.0.1"
port = $port
[commands]
poll_interval = $poll
[homeassistant]
enabled = true
groups = ["$ha_group"]
queue_max = 60000
CONF
  "$server_bin" --config "$run/server.toml" meters import "$dir/keys.csv" >/dev/null
  # The counters of stored samples (store/metrics.hpp), which every stored sample moves in its
  # own transaction: counting the rows of a table with a week of history would take minutes.
  samples_counter() {
    local q="SELECT coalesce(sum(value), 0) FROM counters WHERE name = 'samples_stored' OR
      name LIKE 'samples_stored:%'"
    if [ "$backend" = sqlite ]; then
      sqlite3 -cmd '.timeout 10000' "$run/server.db" "$q"
    else
      psql -qtA "$url" -c "$q"
    fi
  }
  local history_samples=0
  if [ "$history" -gt 0 ]; then
    # HISTORY_DAYS of one-minute samples for every meter, ending now, as the server keeps them
    # (bench/month/month_bench.cpp; [database] pack_after_days packs the older days).
    build/release/bench/month/month_bench --fill "$run" \
      "$([ "$backend" = sqlite ] && echo sqlite || echo "$url")" "$history" >"$run/history.txt"
    history_samples=$(samples_counter)
    echo "$backend: history of $history days: $(grep Generated "$run/history.txt")"
  fi
  # The subscriber: the states, the bench's commands and their replies, each as it arrives.
  mosquitto_sub -h 127.0.0.1 -p "$port" -F '%U %t' -t 'meterlogger/+/state' \
    -t '/config/v2/+/+/uptime' -t '/uptime/v2/+/+' >"$run/observed.txt" 2>"$run/observer.log" &
  local observer=$!
  # One `run`, or WORKERS workers (`run --worker wK`) sharing the ingest; server.log is the
  # first one's.
  local servers=() logs=() k
  if [ "$workers" -eq 0 ]; then
    logs+=("$run/server.log")
    "$server_bin" --config "$run/server.toml" run >"$run/server.log" 2>&1 &
    servers+=($!)
  else
    for k in $(seq "$workers"); do
      logs+=("$run/server$([ "$k" = 1 ] || echo "-$k").log")
      "$server_bin" --config "$run/server.toml" run --worker "w$k" >"${logs[-1]}" 2>&1 &
      servers+=($!)
    done
  fi
  for k in "${logs[@]}"; do wait_for_line "ingest: connected" "$k" 60; done
  "$fleet_bin" sim fleet --keys "$dir/keys.csv" --broker "127.0.0.1:$port" \
    --interval "$interval" --connect-rate 5000 --source-addresses 127.0.0.1-127.0.0.8 \
    --status-every 5 --stats "$run/stats.json" --publish-log "$run/published.csv" \
    --publish-log-share "$share" >"$run/fleet.json" 2>"$run/fleet.log" &
  local fleet=$!
  local i
  for i in $(seq 600); do
    [ "$(jq '.connected == .devices' "$run/stats.json" 2>/dev/null)" = true ] && break
    if [ "$i" = 600 ]; then
      echo "$backend: the fleet did not connect within 300 s" >&2
      tail -n 5 "$run/fleet.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  local connected_after
  connected_after=$(jq .all_connected_after_s "$run/stats.json")
  sleep "$warmup"

  snapshot() {  # "NAME TICKS" of every process measured, and the machine's busy ticks
    echo "mosquitto $(cpu_ticks "$broker")"
    echo "run $(for k in "${servers[@]}"; do cpu_ticks "$k"; done | awk '{ t += $1 } END { print t }')"
    echo "fleet $(cpu_ticks "$fleet")"
    echo "subscriber $(cpu_ticks "$observer")"
    if [ -n "$postmaster" ]; then echo "postgresql $(pg_ticks "$postmaster")"; fi
    awk '/^cpu / { print "machine", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
  }
  broker_counters() {  # the broker's PUBLISH counters, "NAME VALUE" (retained $SYS topics)
    { mosquitto_sub -h 127.0.0.1 -p "$port" --retained-only -W 5 -F '%t %p' \
      -t "\$SYS/broker/publish/messages/+" || true; } |
      awk '{ sub(/.*\//, "", $1) } !seen[$1]++'
  }
  send_commands() {  # one `send --wait` every SECONDS/COMMANDS s, to random meters
    set +m
    local gap serial start rc err committed
    gap=$(awk -v s="$seconds" -v n="$commands" 'BEGIN { printf "%.3f", s / n }')
    sleep "$(awk -v g="$gap" 'BEGIN { printf "%.3f", g / 2 }')"
    for serial in $(tail -n +2 "$dir/keys.csv" | cut -d, -f1 |
      shuf -n "$commands" --random-source=<(yes)); do
      (
        start=$(date +%s%N)
        rc=0
        err=$("$server_bin" --config "$run/server.toml" send "$serial" uptime --wait \
          --timing --timeout 300 2>&1 >/dev/null) || rc=$?
        echo "$err" >>"$run/send.log"
        # From the command's commit to the reply seen stored, as `send --timing` prints it.
        committed=$(echo "$err" | sed -n 's/.*queued -> reply stored within \([0-9.]*\) ms.*/\1/p')
        echo "$serial $start $(date +%s%N) $rc ${committed:--1}" >>"$run/commands.txt"
      ) &
      sleep "$gap"
    done
    wait
  }
  sample_memory() {
    set +m
    while :; do
      pg_pss "$postmaster" >>"$run/pg_memory.txt"
      sleep 2
    done
  }

  local t0 t1 sampler="" senders=""
  t0=$(date +%s%3N)
  snapshot >"$run/cpu0"
  broker_counters >"$run/broker0"
  if [ -n "$postmaster" ]; then
    sample_memory &
    sampler=$!
  fi
  touch "$run/commands.txt"
  if [ "$commands" -gt 0 ]; then
    send_commands &
    senders=$!
  fi
  sleep "$seconds"
  t1=$(date +%s%3N)
  for name in "broker $broker" "fleet $fleet" "${servers[@]/#/run }"; do
    if ! kill -0 "${name#* }" 2>/dev/null; then
      echo "$backend: ${name% *} ended during the run" >&2
      tail -n 20 "$run"/*.log >&2
      exit 1
    fi
  done
  snapshot >"$run/cpu1"
  broker_counters >"$run/broker1"
  local fleet_mib
  fleet_mib=$(vm_hwm_mib "$fleet")
  # The commands still under way finish (each gives up 300 s after it was queued).
  if [ -n "$senders" ]; then wait "$senders" || true; fi
  kill -TERM "$fleet"
  wait "$fleet" || true
  local published
  published=$(jq .samples.published "$run/fleet.json")

  # `run` stores what it has been sent: until the count reaches what was published, stays the
  # same for DRAIN_IDLE s (300: a poll of every meter can hold `run` up for minutes) or
  # DRAIN_MAX s (1800) have passed.
  stored_samples() {
    if [ "$history" -gt 0 ]; then
      echo $(($(samples_counter) - history_samples))
    elif [ "$backend" = sqlite ]; then
      sqlite3 -cmd '.timeout 10000' "$run/server.db" 'SELECT count(*) FROM samples'
    else
      psql -qtA "$url" -c 'SELECT count(*) FROM samples'
    fi
  }
  local stored last=-1 same=0 drain_start drain_s
  drain_start=$(date +%s)
  while :; do
    stored=$(stored_samples)
    [ "$stored" -ge "$published" ] && break
    [ $(($(date +%s) - drain_start)) -ge "${DRAIN_MAX:-1800}" ] && break
    if [ "$stored" = "$last" ]; then
      same=$((same + 1))
      [ "$same" -ge "${DRAIN_IDLE:-300}" ] && break
    else
      same=0
    fi
    last=$stored
    sleep 1
  done
  drain_s=$(($(date +%s) - drain_start))
  sleep 2  # the last states reach the subscriber
  local run_mib broker_mib pg_mib=-
  run_mib=$(for k in "${servers[@]}"; do vm_hwm_mib "$k"; echo; done | sort -n | tail -n1)
  broker_mib=$(vm_hwm_mib "$broker")
  if [ -n "$sampler" ]; then
    kill -- "-$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    pg_mib=$(sort -n "$run/pg_memory.txt" | tail -n1 | awk '{ printf "%d", $1 / 1024 }')
  fi
  for k in "${servers[@]}"; do
    kill -TERM "$k"
    wait "$k" || echo "$backend: run exited with status $?" >&2
  done
  kill -TERM "$observer"
  wait "$observer" 2>/dev/null || true
  kill -TERM "$broker"
  wait "$broker" 2>/dev/null || true
  broker=""
  if [ -n "$postmaster" ]; then tests/postgresql/cluster stop "$run/pg" >/dev/null; fi

  # The lag: the k-th state of a meter against the k-th sample it published, for the samples
  # published in the window. A sample without a state (not stored when the drain ended) counts
  # as an infinite lag; a meter with more states than samples is left out.
  local left_out uncommitted
  # With HA_PROBE, only the meters in [homeassistant]'s group have states: the others are not
  # timed.
  awk -F, -v g="$ha_group" 'NR > 1 && $5 == g { print $1 }' "$dir/keys.csv" >"$run/timed.txt"
  read -r left_out uncommitted < <(awk -v t0="$t0" -v t1="$t1" -v lags="$run/lags.txt" \
    -v odd="$run/left_out.txt" '
    FNR == 1 { file++ }
    file == 1 { timed[$1]; next }
    file == 2 {
      if (FNR > 1) {
        split($0, f, ",")
        if (!(f[1] in timed)) next
        k = ++published[f[1]]; at[f[1], k] = f[3]
      }
      next
    }
    $2 !~ /^meterlogger\// { next }
    {
      split($2, t, "/"); s = t[2]; k = ++states[s]
      if ((s, k) in at && at[s, k] >= t0 && at[s, k] < t1)
        printf "%s %s %.1f\n", s, at[s, k], $1 * 1000 - at[s, k] > lags
    }
    END {
      printf "" > odd
      for (s in published) {
        if (states[s] > published[s]) { n++; print s > odd; continue }
        for (k = states[s] + 1; k <= published[s]; k++)
          if (at[s, k] >= t0 && at[s, k] < t1) { late++; printf "%s %s inf\n", s, at[s, k] > lags }
      }
      print n + 0, late + 0
    }' "$run/timed.txt" "$run/published.csv" "$run/observed.txt")
  touch "$run/lags.txt"
  awk 'FILENAME == ARGV[1] { odd[$1]; next } !($1 in odd)' "$run/left_out.txt" "$run/lags.txt" \
    >"$run/lags_kept.txt"
  local lag
  lag=$(cut -d' ' -f3 "$run/lags_kept.txt" | percentiles)
  # p99 of each minute of the window, in ms.
  local by_minute
  by_minute=$(awk -v t0="$t0" '{ m = int(($2 - t0) / 60000); print m, $3 }' "$run/lags_kept.txt" |
    sort -k1,1n -k2,2g | awk '
      function flush() {
        if (!n) return
        i = int(0.99 * n); if (i < 0.99 * n) i++
        out = out sep v[i]; sep = " "
      }
      $1 != m { flush(); m = $1; n = 0 }
      { v[++n] = $2 }
      END { flush(); print out }')

  # The commands: the round trip timed around `send --wait`, and where the time went as the
  # subscriber saw the command and the reply pass the broker.
  awk '
    FILENAME == ARGV[1] {
      n++; start[n] = $2 / 1e6; end[n] = $3 / 1e6; rc[n] = $4; committed[n] = $5
      ids[$1] = ids[$1] " " n
      next
    }
    {
      split($2, p, "/"); t = $1 * 1000; k = split(ids[p[4]], mine, " ")
      for (j = 1; j <= k; j++) {
        i = mine[j]
        if (p[2] == "config" && !(i in cmd) && t >= start[i]) cmd[i] = t
        else if (p[2] == "uptime" && (i in cmd) && !(i in reply) && t >= cmd[i]) reply[i] = t
      }
    }
    END {
      for (i = 1; i <= n; i++) {
        if (rc[i] != 0) { print "failed" > "/dev/stderr"; continue }
        printf "%.1f %.1f %.1f %.1f %.1f\n", end[i] - start[i], (i in cmd) ? cmd[i] - start[i] : -1,
          (i in reply) ? reply[i] - cmd[i] : -1, (i in reply) ? end[i] - reply[i] : -1, committed[i]
      }
    }' "$run/commands.txt" "$run/observed.txt" >"$run/rtt.txt" 2>"$run/rtt_failed.txt"
  local sent_ok failed
  sent_ok=$(wc -l <"$run/rtt.txt")
  failed=$(wc -l <"$run/rtt_failed.txt")
  column_percentiles() { awk -v c="$1" '$c >= 0 { print $c }' "$run/rtt.txt" | percentiles; }

  local window_s homeassistant
  window_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  homeassistant=$(grep -ho 'homeassistant: states .*' "${logs[@]}" | paste -sd' ')
  local ingest_line
  ingest_line=$(grep -ho 'stored [0-9]*, duplicates .*' "${logs[@]}" | paste -sd' ')

  row() { echo "| $1 | $2 |"; }
  echo
  echo "### $([ "$backend" = sqlite ] && echo SQLite || echo "PostgreSQL (fsync off)")"
  echo
  echo "$meters devices connected in ${connected_after} s; window $window_s s from" \
    "$(date -u -d "@$((t0 / 1000))" +%H:%M:%S) UTC"
  echo
  echo "| | |"
  echo "|---|---|"
  row "samples published / stored / missing (the whole run)" \
    "$published / $stored / $((published - stored))"
  if [ "$stored" -lt "$published" ]; then
    local why="given up (DRAIN_IDLE or DRAIN_MAX): the missing may still have been with the broker"
    row "drain after the fleet stopped" "$drain_s s, then $why"
  else
    row "drain after the fleet stopped" "$drain_s s"
  fi
  read -r n p50 p90 p99 max <<<"$lag"
  local note="$n samples of the window, $uncommitted of them not stored when the drain ended"
  note+=" (counted as infinite); $left_out meters left out: more states than samples"
  row "lag publication → commit, ms: p50 / p90 / p99 / max" "$p50 / $p90 / $p99 / $max ($note)"
  row "lag p99 by minute of the window, ms" "$by_minute"
  row "\`run\` at stop" "$ingest_line; $homeassistant"
  row "commands \`send SERIAL uptime --wait\`: answered / failed" "$sent_ok / $failed"
  read -r n p50 p90 p99 max <<<"$(column_percentiles 1)"
  row "round trip \`send\` started → reply stored, ms: p50 / p90 / p99 / max" \
    "$p50 / $p90 / $p99 / $max"
  read -r n p50 p90 p99 max <<<"$(column_percentiles 5)"
  row "round trip the command committed → reply seen stored (\`send --timing\`, 5 ms looks), ms" \
    "$p50 / $p90 / $p99 / $max ($n commands)"
  read -r n p50 p90 p99 max <<<"$(column_percentiles 2)"
  row "\`send\` started → the command at the broker, ms" "$p50 / $p90 / $p99 / $max"
  read -r n p50 p90 p99 max <<<"$(column_percentiles 3)"
  row "the command → the reply at the broker, ms" "$p50 / $p90 / $p99 / $max"
  read -r n p50 p90 p99 max <<<"$(column_percentiles 4)"
  row "the reply → \`send\` sees it stored (5 ms looks), ms" "$p50 / $p90 / $p99 / $max"
  row "\`run\`'s ingest connection lost" \
    "$(cat "${logs[@]}" | grep -c 'ingest: connection .* lost') times"
  awk -v w="$window_s" '
    FILENAME == ARGV[1] { a[$1] = $2; next }
    $2 == "" || a[$1] == "" { printf "| broker PUBLISH %s | (no answer from $SYS) |\n", $1; next }
    { printf "| broker PUBLISH %s | %.0f/s |\n", $1, ($2 - a[$1]) / w }' \
    "$run/broker0" "$run/broker1"
  awk -v w="$window_s" -v hz="$hz" '
    FILENAME == ARGV[1] { a[$1] = $2; next }
    $1 == "machine" { machine = $2 - a[$1]; next }
    {
      d = ($2 - a[$1]) / hz; ours += d
      printf "| CPU %s | %.1f s, %.1f %% of a core |\n", $1, d, d / w * 100
    }
    END {
      d = machine / hz - ours
      printf "| CPU of everything else on the machine | %.1f s, %.1f %% of a core |\n",
        d, d / w * 100
    }' "$run/cpu0" "$run/cpu1"
  row "peak memory: mosquitto / run / fleet / PostgreSQL" \
    "$broker_mib / $run_mib / $fleet_mib / $pg_mib MiB"
  row "load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

for backend in $backends; do
  measure "$backend"
done
