// SqliteStore: the aggregates of GET /metrics (store/metrics.hpp). Grouped queries over the
// meters, the commands' and the notifications' states; the samples are counted as they are
// stored (the counters table, migration 12), never by scanning them.
#include <algorithm>

#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

using namespace sqlite_rows;

core::Result<StoreMetrics> SqliteStore::store_metrics(std::int64_t online_since,
                                                      std::int64_t replied_since) {
  StoreMetrics out;
  auto read = read_snapshot([&]() -> core::Status {
    out = StoreMetrics{};
    // Seen: the newest sample or reply, as the dashboard's meter list counts it (views.cpp).
    auto q = cached(
        "SELECT grp, COUNT(*), SUM(offline_since = 0 AND MAX(last_sample_time, COALESCE((SELECT "
        "MAX(time) FROM diagnostics d WHERE d.serial = m.serial), 0)) >= ?1 AND ?1 > 0), "
        "MAX(last_sample_time) FROM meters m GROUP BY grp ORDER BY grp");
    if (!q) return q.error();
    (*q)->bind(1, online_since);
    auto& m = **q;
    ML_TRY(each_row(m, [&] {
      out.groups.push_back({m.text(0), m.int64(1), m.int64(2)});
      out.newest_sample_time = std::max(out.newest_sample_time, m.int64(3));
    }));

    auto counters = cached("SELECT name, value FROM counters");
    if (!counters) return counters.error();
    ML_TRY(each_row(**counters, [&] {
      const std::string name = (*counters)->text(0);
      const std::int64_t value = (*counters)->int64(1);
      if (counts_samples_stored(name)) out.samples_stored += value;
      if (name == "broker_dropped") out.broker.dropped = value;
      if (name == "broker_health_time") out.broker.time = value;
      if (name == "broker_dropped_increased") out.broker.increased = value;
    }));

    auto rej = cached("SELECT reason, count FROM rejections");
    if (!rej) return rej.error();
    ML_TRY(each_row(**rej, [&] { out.rejected[(*rej)->text(0)] = (*rej)->int64(1); }));
    auto serials = cached("SELECT COUNT(DISTINCT serial) FROM rejections_by_serial");
    if (!serials) return serials.error();
    ML_TRY(each_row(**serials, [&] { out.rejected_serials = (*serials)->int64(0); }));

    auto cmd = cached("SELECT state, COUNT(*) FROM commands GROUP BY state");
    if (!cmd) return cmd.error();
    ML_TRY(each_row(**cmd, [&] { out.commands[(*cmd)->text(0)] = (*cmd)->int64(1); }));
    auto rtt = cached(
        "SELECT reply_time - first_sent, COUNT(*) FROM commands WHERE reply_time >= ? AND "
        "reply_time > 0 AND first_sent > 0 AND reply_time >= first_sent GROUP BY 1");
    if (!rtt) return rtt.error();
    (*rtt)->bind(1, replied_since);
    ML_TRY(each_row(**rtt, [&] { out.round_trips[(*rtt)->int64(0)] = (*rtt)->int64(1); }));

    auto n = cached("SELECT channel, state, COUNT(*) FROM notifications GROUP BY channel, state");
    if (!n) return n.error();
    ML_TRY(each_row(**n, [&] {
      out.notifications[{(*n)->text(0), (*n)->text(1)}] = (*n)->int64(2);
    }));

    auto alarms = cached(
        "SELECT r.severity, COUNT(*) FROM alarm_states s JOIN alarm_rules r ON r.id = s.rule_id "
        "WHERE s.episode <> 0 AND s.status <> 'cleared' GROUP BY r.severity");
    if (!alarms) return alarms.error();
    ML_TRY(each_row(**alarms, [&] { out.open_alarms[(*alarms)->text(0)] = (*alarms)->int64(1); }));

    auto size =
        cached("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    if (!size) return size.error();
    ML_TRY(each_row(**size, [&] { out.database_bytes = (*size)->int64(0); }));
    return core::Ok{};
  });
  if (!read) return read.error();
  return out;
}

core::Status SqliteStore::record_broker_health(const BrokerHealth& health) {
  return write_transaction([&]() -> core::Status {
    auto q = cached(
        "INSERT INTO counters(name, value) VALUES('broker_dropped', ?1), "
        "('broker_health_time', ?2), ('broker_dropped_increased', ?3) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    if (!q) return q.error();
    (*q)->bind(1, health.dropped);
    (*q)->bind(2, health.time);
    (*q)->bind(3, health.increased);
    return (*q)->run();
  });
}

core::Result<BrokerHealth> SqliteStore::broker_health() {
  BrokerHealth out;
  auto q = cached(
      "SELECT name, value FROM counters WHERE name IN ('broker_dropped', 'broker_health_time', "
      "'broker_dropped_increased')");
  if (!q) return q.error();
  ML_TRY(each_row(**q, [&] {
    const std::string name = (*q)->text(0);
    const std::int64_t value = (*q)->int64(1);
    if (name == "broker_dropped") out.dropped = value;
    if (name == "broker_health_time") out.time = value;
    if (name == "broker_dropped_increased") out.increased = value;
  }));
  return out;
}

}  // namespace ml::server
