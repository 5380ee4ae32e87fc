#!/usr/bin/env bash
# The speed of `meterlogger-server import mlw --dump` (docs/migrating.md): a generated MeterLoggerWeb
# dump (extended INSERTs of 1000 rows, as mysqldump writes them) of SAMPLES sample rows over
# METERS meters (one a minute each), imported into an empty database. Prints sample rows per
# second and the projection for 850 M rows. Record the output in bench/RESULTS.md.
# Usage: bench/mlw_import.sh [SAMPLES=1500000] [METERS=100] [PRESET=release]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-1500000}
meters=${2:-100}
preset=${3:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target meterlogger-server >/dev/null
bin="build/$preset/apps/meterlogger-server/meterlogger-server"
dir=$(mktemp -d /tmp/ml-mlw-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
python3 - "$samples" "$meters" > "$dir/nabovarme.sql" <<'PY'
import sys
samples, meters = int(sys.argv[1]), int(sys.argv[2])
w = sys.stdout.write
w("-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n/*!40101 SET NAMES utf8mb4 */;\n")
w("CREATE TABLE `meter_groups` (\n  `id` int(11),\n  `group` varchar(256)\n) ENGINE=InnoDB;\n")
w("INSERT INTO `meter_groups` VALUES (1,'Bench');\n")
w("CREATE TABLE `meters` (\n  `id` int(11),\n  `type` enum('heat'),\n  `group` int(3),\n"
  "  `serial` varchar(16),\n  `info` varchar(256),\n  `setup_value` float,\n  `key` varchar(32),\n"
  "  `valve_installed` tinyint(1),\n  `default_price` float\n) ENGINE=InnoDB;\n")
w("INSERT INTO `meters` VALUES " + ",".join(
    "(%d,'heat',1,'%07d','m %d',0,'%032x',1,0.85)" % (m, 9000000 + m, m, m) for m in range(1, meters + 1)) + ";\n")
w("CREATE TABLE `samples` (\n  `id` int(11),\n  `serial` varchar(12),\n  `heap` int(11),\n"
  "  `flow_temp` float,\n  `return_flow_temp` float,\n  `temp_diff` float,\n  `t3` float,\n"
  "  `flow` float,\n  `effect` float,\n  `hours` float,\n  `volume` float,\n  `energy` float,\n"
  "  `is_spike` tinyint(1),\n  `unix_time` int(11)\n) ENGINE=InnoDB;\n")
rows = []
for i in range(samples):
    m = i % meters + 1
    step = i // meters
    rows.append("(%d,'%07d',21376,%d.61,%d.19,1.42,NULL,%d,0.1,%d,%d.27,%d,0,%d)" % (
        i + 1, 9000000 + m, 40 + step % 40, 20 + step % 20, step % 300, 73327 + step // 60,
        1321 + step // 100, 56726 + step // 10, 1600000000 + step * 60))
    if len(rows) == 1000:
        w("INSERT INTO `samples` VALUES " + ",".join(rows) + ";\n")
        rows = []
if rows:
    w("INSERT INTO `samples` VALUES " + ",".join(rows) + ";\n")
PY
printf '[database]\npath = "%s/server.db"\n[mqtt]\nhost = "127.0.0.1"\nport = 1883\n' "$dir" > "$dir/server.toml"
echo "dump: $(du -m "$dir/nabovarme.sql" | cut -f1) MB, $samples sample rows, $meters meters ($preset build)"
start=$(date +%s.%N)
"$bin" import mlw --dump "$dir/nabovarme.sql" --config "$dir/server.toml" | tail -n +1 | grep -E "^(kind|meters|samples)"
end=$(date +%s.%N)
python3 - "$start" "$end" "$samples" "$(du -m "$dir/server.db" | cut -f1)" <<'PY'
import sys
s, e, n, mb = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rate = n / (e - s)
print("import: %.1f s, %.0f sample rows/s, database %d MB" % (e - s, rate, mb))
print("projection for 850 M sample rows: %.1f hours, database about %.0f GB" % (
    850e6 / rate / 3600, mb * 850e6 / n / 1024))
PY
