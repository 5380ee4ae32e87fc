// The agent's side of GET /metrics (metrics_source.hpp).
#include "agent/metrics_source.hpp"

#include <asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>

#include "core/valve/limit.hpp"
#include "meter/drivers.hpp"

namespace ml::agent {

metrics::MeterSnapshot meter_snapshot(const Device& d, Store& store) {
  metrics::MeterSnapshot m;
  m.meter = d.meter().name;
  m.reads = d.counters().reads;
  m.link = d.link_stats();
  m.samples_queued = d.counters().samples_queued;
  m.published = d.counters().published;
  m.outbox_dropped = d.counters().outbox_dropped;
  if (!d.serial().empty()) {
    if (auto o = store.outbox_stats(d.serial()); o) {
      m.outbox_known = true;
      m.outbox_messages = o->messages;
      m.outbox_oldest_created = o->oldest_created;
    }
  } else {
    m.outbox_known = true;  // nothing is queued before the serial is known
  }
  if (auto s = d.mqtt_stats()) {
    m.connected = s->connected;
    m.reconnects = s->connects > 0 ? s->connects - 1 : 0;
    m.connect_failures = s->connect_failures;
  }
  m.has_valve = meter::has_valve(d.driver());
  if (m.has_valve) {
    m.valve_state = d.valve().state;
    // kWh only: a flow meter's limit is in m3.
    if (!d.meter().flow_meter && d.last_reading()) {
      if (auto metered = core::valve::metered(*d.last_reading())) {
        m.prepaid_remaining_kwh = metrics::remaining(d.valve().limit, metered->to_string());
      }
    }
  }
  return m;
}

AgentMetricsSource::AgentMetricsSource(asio::io_context& io,
                                       std::function<metrics::Snapshot()> gather,
                                       std::function<std::int64_t()> now)
    : io_(io), gather_(std::move(gather)), now_(std::move(now)) {}

bool AgentMetricsSource::metrics(std::string* text) {
  auto task = std::make_shared<std::packaged_task<metrics::Snapshot()>>(gather_);
  auto result = task->get_future();
  asio::post(io_, [task] { (*task)(); });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    *text = "the agent did not answer in time";
    return false;
  }
  auto rendered = metrics::render(result.get(), now_());
  if (!rendered) {
    *text = rendered.error().text();
    return false;
  }
  *text = std::move(rendered).value();
  return true;
}

}  // namespace ml::agent
