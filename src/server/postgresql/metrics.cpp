// PostgresStore: the aggregates of GET /metrics (store/metrics.hpp). Grouped queries over the
// meters, the commands' and the notifications' states; the samples are counted as they are
// stored (the counters table), never by scanning them.
#include <algorithm>

#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

core::Result<StoreMetrics> PostgresStore::store_metrics(std::int64_t online_since,
                                                        std::int64_t replied_since) {
  StoreMetrics out;
  auto read = read_snapshot([&]() -> core::Status {
    out = StoreMetrics{};
    // Seen: the newest sample or reply, as the dashboard's meter list counts it (views.cpp).
    auto m = db_.query(
        "SELECT grp, COUNT(*), SUM(CASE WHEN offline_since = 0 AND GREATEST(last_sample_time, "
        "COALESCE((SELECT MAX(time) FROM diagnostics d WHERE d.serial = m.serial), 0)) >= "
        "$1::bigint AND $1::bigint > 0 THEN 1 ELSE 0 END)::bigint, MAX(last_sample_time) "
        "FROM meters m GROUP BY grp ORDER BY grp COLLATE \"C\"",
        {online_since});
    if (!m) return m.error();
    for (int i = 0; i < m->size(); ++i) {
      out.groups.push_back({m->text(i, 0), m->int64(i, 1), m->int64(i, 2)});
      out.newest_sample_time = std::max(out.newest_sample_time, m->int64(i, 3));
    }

    auto counters = db_.query("SELECT name, value FROM counters");
    if (!counters) return counters.error();
    for (int i = 0; i < counters->size(); ++i) {
      const std::string name = counters->text(i, 0);
      const std::int64_t value = counters->int64(i, 1);
      if (counts_samples_stored(name)) out.samples_stored += value;
      if (name == "broker_dropped") out.broker.dropped = value;
      if (name == "broker_health_time") out.broker.time = value;
      if (name == "broker_dropped_increased") out.broker.increased = value;
    }

    auto rej = db_.query("SELECT reason, count FROM rejections");
    if (!rej) return rej.error();
    for (int i = 0; i < rej->size(); ++i)
      out.rejected[rej->text(i, 0)] = rej->int64(i, 1);
    auto serials = db_.query("SELECT COUNT(DISTINCT serial) FROM rejections_by_serial");
    if (!serials) return serials.error();
    if (!serials->empty()) out.rejected_serials = serials->int64(0, 0);

    auto cmd = db_.query("SELECT state, COUNT(*) FROM commands GROUP BY state");
    if (!cmd) return cmd.error();
    for (int i = 0; i < cmd->size(); ++i)
      out.commands[cmd->text(i, 0)] = cmd->int64(i, 1);
    auto rtt = db_.query(
        "SELECT reply_time - first_sent, COUNT(*) FROM commands WHERE reply_time >= $1 AND "
        "reply_time > 0 AND first_sent > 0 AND reply_time >= first_sent GROUP BY 1",
        {replied_since});
    if (!rtt) return rtt.error();
    for (int i = 0; i < rtt->size(); ++i)
      out.round_trips[rtt->int64(i, 0)] = rtt->int64(i, 1);

    auto n =
        db_.query("SELECT channel, state, COUNT(*) FROM notifications GROUP BY channel, state");
    if (!n) return n.error();
    for (int i = 0; i < n->size(); ++i) {
      out.notifications[{n->text(i, 0), n->text(i, 1)}] = n->int64(i, 2);
    }

    auto alarms = db_.query(
        "SELECT r.severity, COUNT(*) FROM alarm_states s JOIN alarm_rules r ON r.id = s.rule_id "
        "WHERE s.episode <> 0 AND s.status <> 'cleared' GROUP BY r.severity");
    if (!alarms) return alarms.error();
    for (int i = 0; i < alarms->size(); ++i) {
      out.open_alarms[alarms->text(i, 0)] = alarms->int64(i, 1);
    }

    // The whole database's size, as SQLite's pages times page size is its file's.
    auto size = db_.query("SELECT pg_database_size(current_database())");
    if (!size) return size.error();
    if (!size->empty()) out.database_bytes = size->int64(0, 0);
    return core::Ok{};
  });
  if (!read) return read.error();
  return out;
}

core::Status PostgresStore::record_broker_health(const BrokerHealth& health) {
  return write_transaction([&]() -> core::Status {
    auto rows = db_.query(
        "INSERT INTO counters(name, value) VALUES('broker_dropped', $1), "
        "('broker_health_time', $2), ('broker_dropped_increased', $3) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        {health.dropped, health.time, health.increased});
    if (!rows) return rows.error();
    return core::Ok{};
  });
}

core::Result<BrokerHealth> PostgresStore::broker_health() {
  BrokerHealth out;
  auto rows = db_.query(
      "SELECT name, value FROM counters WHERE name IN ('broker_dropped', 'broker_health_time', "
      "'broker_dropped_increased')");
  if (!rows) return rows.error();
  for (int i = 0; i < rows->size(); ++i) {
    const std::string name = rows->text(i, 0);
    const std::int64_t value = rows->int64(i, 1);
    if (name == "broker_dropped") out.dropped = value;
    if (name == "broker_health_time") out.time = value;
    if (name == "broker_dropped_increased") out.increased = value;
  }
  return out;
}

}  // namespace ml::server
