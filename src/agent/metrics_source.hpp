// The agent's side of GET /metrics (docs/metrics.md, "Agent"): what one device shows at scrape
// time, and the MetricsSource the setup page module's metrics server calls from its threads (the
// figures are gathered on the agent's loop, where the devices live, then rendered).
#pragma once

#include <asio/io_context.hpp>
#include <functional>

#include "agent/device.hpp"
#include "agent/metrics.hpp"
#include "agent/store.hpp"
#include "setup_page/api.hpp"

namespace ml::agent {

// One device's figures (call on the agent's loop).
metrics::MeterSnapshot meter_snapshot(const Device& device, Store& store);

class AgentMetricsSource final : public setup_page::MetricsSource {
 public:
  // `gather` runs on `io`'s loop; `now` gives the wall clock in unix seconds.
  AgentMetricsSource(asio::io_context& io, std::function<metrics::Snapshot()> gather,
                     std::function<std::int64_t()> now);
  // False with the reason when the loop did not answer within 5 s or rendering failed.
  bool metrics(std::string* text) override;

 private:
  asio::io_context& io_;
  std::function<metrics::Snapshot()> gather_;
  std::function<std::int64_t()> now_;
};

}  // namespace ml::agent
