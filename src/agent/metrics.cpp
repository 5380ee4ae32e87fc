// GET /metrics of `meterlogger agent` (metrics.hpp, docs/metrics.md "Agent").
#include "agent/metrics.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace ml::agent::metrics {

namespace cm = core::metrics;

const cm::Family& metric(std::string_view name) {
  for (const auto& f : kAgentMetrics)
    if (f.name == name) return f;
  std::fprintf(stderr, "metrics: %.*s is not in kAgentMetrics\n", static_cast<int>(name.size()),
               name.data());
  std::abort();  // a programming error: every metric written is in the table
}

ReadResult read_result(core::Errc code) {
  switch (code) {
    case core::Errc::meter_timeout:
      return ReadResult::timeout;
    case core::Errc::meter_bad_reply:
      return ReadResult::bad_reply;
    case core::Errc::meter_link:
      return ReadResult::link;
    default:
      return ReadResult::other;
  }
}

namespace {

std::optional<double> number(const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

double d(std::uint64_t v) {
  return static_cast<double>(v);
}

}  // namespace

std::optional<double> remaining(const std::string& limit, const std::string& metered) {
  auto l = number(limit);
  auto m = number(metered);
  if (!l || !m) return std::nullopt;
  return *l - *m;
}

core::Result<std::string> render(const Snapshot& s, std::int64_t now) {
  cm::Writer w;
  auto per_meter = [&](std::string_view name, auto value) -> core::Status {
    ML_TRY(w.family(metric(name)));
    for (const auto& m : s.meters)
      ML_TRY(w.value({{"meter", m.meter}}, value(m)));
    return core::Ok{};
  };
  ML_TRY(w.family(metric("meterlogger_agent_build_info")));
  ML_TRY(w.value({{"version", s.version}}, 1));
  ML_TRY(w.family(metric("meterlogger_agent_process_start_time_seconds")));
  ML_TRY(w.value({}, static_cast<double>(s.start_time)));

  ML_TRY(w.family(metric("meterlogger_agent_reads_total")));
  for (const auto& m : s.meters) {
    for (const auto& row : kReadResults) {
      ML_TRY(w.value({{"meter", m.meter}, {"result", std::string(row.name)}},
                     d(m.reads[static_cast<std::size_t>(row.result)])));
    }
  }
  using M = MeterSnapshot;
  ML_TRY(per_meter("meterlogger_agent_link_requests_total",
                   [](const M& m) { return d(m.link.requests); }));
  ML_TRY(w.family(metric("meterlogger_agent_link_replies_total")));
  for (const auto& m : s.meters) {
    const std::pair<const char*, std::uint64_t> kinds[] = {{"ok", m.link.replies_ok},
                                                           {"timeout", m.link.timeouts},
                                                           {"check_error", m.link.check_errors},
                                                           {"bad_reply", m.link.bad_replies},
                                                           {"truncated", m.link.truncated}};
    for (const auto& [kind, count] : kinds)
      ML_TRY(w.value({{"meter", m.meter}, {"result", kind}}, d(count)));
  }
  ML_TRY(per_meter("meterlogger_agent_link_retries_total",
                   [](const M& m) { return d(m.link.retries); }));
  ML_TRY(per_meter("meterlogger_agent_link_sent_bytes_total",
                   [](const M& m) { return d(m.link.bytes_sent); }));
  ML_TRY(per_meter("meterlogger_agent_link_received_bytes_total",
                   [](const M& m) { return d(m.link.bytes_received); }));
  ML_TRY(per_meter("meterlogger_agent_link_echo_bytes_total",
                   [](const M& m) { return d(m.link.echo_bytes); }));
  ML_TRY(per_meter("meterlogger_agent_link_noise_bytes_total",
                   [](const M& m) { return d(m.link.garbage_bytes); }));
  ML_TRY(per_meter("meterlogger_agent_link_parity_errors_total",
                   [](const M& m) { return d(m.link.parity_errors); }));
  ML_TRY(per_meter("meterlogger_agent_samples_queued_total",
                   [](const M& m) { return d(m.samples_queued); }));
  ML_TRY(per_meter("meterlogger_agent_messages_published_total",
                   [](const M& m) { return d(m.published); }));
  ML_TRY(per_meter("meterlogger_agent_outbox_dropped_total",
                   [](const M& m) { return d(m.outbox_dropped); }));
  ML_TRY(w.family(metric("meterlogger_agent_outbox_messages")));
  for (const auto& m : s.meters)
    if (m.outbox_known)
      ML_TRY(w.value({{"meter", m.meter}}, static_cast<double>(m.outbox_messages)));
  ML_TRY(w.family(metric("meterlogger_agent_outbox_oldest_age_seconds")));
  for (const auto& m : s.meters) {
    if (!m.outbox_known) continue;
    const std::int64_t age = m.outbox_oldest_created > 0 && now > m.outbox_oldest_created
                                 ? now - m.outbox_oldest_created
                                 : 0;
    ML_TRY(w.value({{"meter", m.meter}}, static_cast<double>(age)));
  }
  ML_TRY(per_meter("meterlogger_agent_broker_connected",
                   [](const M& m) { return m.connected ? 1.0 : 0.0; }));
  ML_TRY(per_meter("meterlogger_agent_broker_reconnects_total",
                   [](const M& m) { return d(m.reconnects); }));
  ML_TRY(per_meter("meterlogger_agent_broker_connect_failures_total",
                   [](const M& m) { return d(m.connect_failures); }));
  ML_TRY(w.family(metric("meterlogger_agent_valve_open")));
  for (const auto& m : s.meters) {
    if (!m.has_valve || (m.valve_state != "open" && m.valve_state != "close")) continue;
    ML_TRY(w.value({{"meter", m.meter}}, m.valve_state == "open" ? 1.0 : 0.0));
  }
  ML_TRY(w.family(metric("meterlogger_agent_prepaid_remaining_kwh")));
  for (const auto& m : s.meters)
    if (m.prepaid_remaining_kwh) ML_TRY(w.value({{"meter", m.meter}}, *m.prepaid_remaining_kwh));
  return w.text();
}

}  // namespace ml::agent::metrics
