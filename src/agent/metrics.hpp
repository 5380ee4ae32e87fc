// GET /metrics of `meterlogger agent` (docs/metrics.md, "Agent"): the table of every metric the
// agent exposes, the kinds of read results it counts, and the Prometheus text made of a snapshot
// of its devices. Every label set is bounded: `meter` is the name of a meter configured in
// agent.toml (a gateway has a few), the other labels come from fixed tables here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics/exposition.hpp"
#include "core/result.hpp"
#include "meter/link_stats.hpp"

namespace ml::agent::metrics {

using core::metrics::Type;

// Every metric of the agent; docs/metrics.md ("Agent") lists the same names (a unit test checks
// it).
inline constexpr std::array<core::metrics::Family, 21> kAgentMetrics{{
    {"meterlogger_agent_build_info", Type::gauge, "Always 1; the version of the agent in a label.",
     ""},
    {"meterlogger_agent_process_start_time_seconds", Type::gauge,
     "When the agent started, in seconds since the Unix epoch.", "seconds"},
    {"meterlogger_agent_reads_total", Type::counter,
     "Reads of the meter, by meter and result (ok, timeout, bad_reply, link, other).", ""},
    {"meterlogger_agent_link_requests_total", Type::counter,
     "Requests sent to the meter over its link, retries included.", ""},
    {"meterlogger_agent_link_replies_total", Type::counter,
     "Requests by what came back: ok, timeout (nothing complete in time), check_error (CRC or "
     "BCC), bad_reply, truncated.",
     ""},
    {"meterlogger_agent_link_retries_total", Type::counter, "Requests sent again after a failure.",
     ""},
    {"meterlogger_agent_link_sent_bytes_total", Type::counter, "Bytes sent to the meter.", "bytes"},
    {"meterlogger_agent_link_received_bytes_total", Type::counter, "Bytes received from the meter.",
     "bytes"},
    {"meterlogger_agent_link_echo_bytes_total", Type::counter,
     "Bytes of our own requests that came back (a half-duplex optical head).", "bytes"},
    {"meterlogger_agent_link_noise_bytes_total", Type::counter, "Bytes received outside any reply.",
     "bytes"},
    {"meterlogger_agent_link_parity_errors_total", Type::counter,
     "Characters dropped for a wrong parity bit.", ""},
    {"meterlogger_agent_samples_queued_total", Type::counter,
     "Samples put in the outbox for the broker.", ""},
    {"meterlogger_agent_messages_published_total", Type::counter,
     "Outbox messages the broker acknowledged.", ""},
    {"meterlogger_agent_outbox_dropped_total", Type::counter,
     "Outbox messages dropped because the outbox was full.", ""},
    {"meterlogger_agent_outbox_messages", Type::gauge,
     "Messages in the outbox waiting for the broker's acknowledgement.", ""},
    {"meterlogger_agent_outbox_oldest_age_seconds", Type::gauge,
     "Age of the oldest message in the outbox; 0 when it is empty.", "seconds"},
    {"meterlogger_agent_broker_connected", Type::gauge,
     "1 while the meter's MQTT connection is up, else 0.", ""},
    {"meterlogger_agent_broker_reconnects_total", Type::counter,
     "Accepted MQTT connections after the first one.", ""},
    {"meterlogger_agent_broker_connect_failures_total", Type::counter,
     "MQTT connection attempts that failed.", ""},
    {"meterlogger_agent_valve_open", Type::gauge,
     "Meters with a valve: 1 open, 0 closed; absent while unknown.", ""},
    {"meterlogger_agent_prepaid_remaining_kwh", Type::gauge,
     "Heat meters with a valve: the prepaid limit minus the last reading, in kWh.", "kwh"},
}};

// The row of a metric; the program stops with a clear message when it is not there (a
// programming error, found by the tests).
const core::metrics::Family& metric(std::string_view name);

// What a read of a meter ended in: the `result` label of meterlogger_agent_reads_total.
enum class ReadResult : std::uint8_t { ok, timeout, bad_reply, link, other };
struct ReadResultRow {
  ReadResult result;
  std::string_view name;
};
inline constexpr std::array<ReadResultRow, 5> kReadResults{{
    {ReadResult::ok, "ok"},
    {ReadResult::timeout, "timeout"},      // Errc::meter_timeout
    {ReadResult::bad_reply, "bad_reply"},  // Errc::meter_bad_reply (CRC, NAK, wrong serial, ...)
    {ReadResult::link, "link"},            // Errc::meter_link (the port or the TCP bridge)
    {ReadResult::other, "other"},          // anything else (a sample that cannot be formatted)
}};
// The result of a failed read, by its error code.
ReadResult read_result(core::Errc code);
using ReadCounts = std::array<std::uint64_t, kReadResults.size()>;
inline void count_read(ReadCounts& counts, ReadResult r) {
  ++counts[static_cast<std::size_t>(r)];
}

// One configured meter at scrape time.
struct MeterSnapshot {
  std::string meter;  // the name from agent.toml (meter[N] by default)
  ReadCounts reads{};
  meter::LinkStats link;
  std::uint64_t samples_queued = 0;
  std::uint64_t published = 0;
  std::uint64_t outbox_dropped = 0;
  bool outbox_known = false;  // false: the store could not be read (the outbox lines are left out)
  std::int64_t outbox_messages = 0;
  std::int64_t outbox_oldest_created = 0;  // unix seconds; 0 when empty
  bool connected = false;
  std::uint64_t reconnects = 0;
  std::uint64_t connect_failures = 0;
  bool has_valve = false;
  std::string valve_state;  // "open", "close", anything else is unknown
  std::optional<double> prepaid_remaining_kwh;
};

struct Snapshot {
  std::string version;
  std::int64_t start_time = 0;
  std::vector<MeterSnapshot> meters;
};

// The whole answer of GET /metrics.
core::Result<std::string> render(const Snapshot& snapshot, std::int64_t now);

// The limit minus the metered value, both exact decimal text; nullopt when either is not a number.
std::optional<double> remaining(const std::string& limit, const std::string& metered);

}  // namespace ml::agent::metrics
