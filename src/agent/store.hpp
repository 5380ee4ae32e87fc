// The agent's durable state in one SQLite file (WAL, synchronous=FULL) in the state directory:
// the outbox of sealed messages waiting for the broker, the samples kept after sending for
// `resend`, settings changed by remote commands,
// the replay memory of accepted commands, pulse counters, and the record of each run (so the
// next start can tell a clean stop from a crash).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "platform/sqlite/db.hpp"

namespace ml::agent {

struct OutboxItem {
  std::int64_t id = 0;
  std::string serial;
  std::string topic;
  core::Bytes payload;
  std::int64_t created = 0;  // unix seconds
};

struct OutboxLimits {
  std::int64_t max_messages = 500000;
  std::int64_t max_bytes = 256ll * 1024 * 1024;
  std::int64_t max_age_s = 30ll * 24 * 3600;
};

struct OutboxStats {
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
  std::int64_t oldest_created = 0;  // 0 when empty
};

// The samples the agent keeps after sending them, for `resend` (docs/agent.md, "Filling gaps"):
// for max_age_s, and at most max_bytes of sample text.
struct KeepLimits {
  std::int64_t max_age_s = 7ll * 24 * 3600;
  std::int64_t max_bytes = 64ll * 1024 * 1024;
};

// A kept sample: its topic time and its v2 text (not sealed: it is sealed again when resent,
// under the key of that day).
struct KeptSample {
  std::int64_t time = 0;
  std::string text;
};

// How the previous run ended, for the `reset_reason` command.
enum class RunEnd : std::uint8_t {
  first_start,  // no previous run recorded
  clean_stop,   // SIGTERM/SIGINT, shut down in order
  restart,      // the `restart` command (re-exec)
  crash,        // the process died without recording an end
  watchdog,     // stopped by the watchdog (systemd WatchdogSec)
  power_loss,   // the machine went down with the process running (boot id changed)
};
std::string_view run_end_name(RunEnd end);

// The valve of a heat meter: "open" or "close", and the prepaid limit (exact decimal text, kWh
// or for flow meters m3; "0" when never set).
struct ValveRecord {
  std::string state = "close";
  std::string limit = "0";
};

// One recorded change of the valve: what it became, and why ("command", "cron", "auto_close",
// "start").
struct ValveChange {
  std::int64_t time = 0;
  std::string state;
  std::string limit;
  std::string cause;
};

class Store {
 public:
  // Opens or creates <state_dir>/state.db and applies the schema migrations.
  static core::Result<Store> open(const std::string& state_dir);

  // ---- outbox ----
  // Adds a message. Beyond the limits the oldest messages are dropped (their number goes to
  // *dropped); the new one is always kept.
  core::Result<std::int64_t> enqueue(const std::string& serial, const std::string& topic,
                                     core::ByteView payload, std::int64_t created,
                                     const OutboxLimits& limits, std::int64_t now,
                                     std::int64_t* dropped = nullptr);
  // Messages of one meter in order, from after_id on.
  core::Result<std::vector<OutboxItem>> pending(const std::string& serial, std::int64_t after_id,
                                                int limit);
  core::Status remove(std::int64_t id);
  core::Result<OutboxStats> outbox_stats(const std::string& serial);

  // ---- kept samples ----
  // Keeps a sample's text (a second one at the same time replaces it) and forgets the ones past
  // the limits, oldest first; `now` is the wall clock.
  core::Status keep_sample(const std::string& serial, std::int64_t time, const std::string& text,
                           const KeepLimits& limits, std::int64_t now);
  // The kept samples of one meter in [from, to], oldest first, at most `limit`.
  core::Result<std::vector<KeptSample>> kept_samples(const std::string& serial, std::int64_t from,
                                                     std::int64_t to, std::size_t limit);

  // ---- settings changed by commands ----
  core::Result<std::optional<std::string>> setting(const std::string& serial,
                                                   const std::string& key);
  core::Status set_setting(const std::string& serial, const std::string& key,
                           const std::string& value, std::int64_t now);

  // ---- valve ----
  core::Result<std::optional<ValveRecord>> valve(const std::string& serial);
  // Stores the state and the limit and records the change with its cause, in one transaction.
  core::Status set_valve(const std::string& serial, const ValveRecord& record,
                         const std::string& cause, std::int64_t now);
  // The newest `limit` changes, oldest first (at most 1000 are kept per meter).
  core::Result<std::vector<ValveChange>> valve_log(const std::string& serial, int limit);

  // ---- replay memory ----
  // Remembers an accepted command by its MAC (unique per sealed message). False when that exact
  // message was accepted before. Entries older than the window are forgotten.
  core::Result<bool> remember_command(const std::string& serial, core::ByteView mac,
                                      std::int64_t topic_time, std::int64_t now,
                                      std::int64_t window_s);

  // ---- pulse counters ----
  core::Result<std::optional<std::int64_t>> pulse_count(const std::string& serial);
  core::Status save_pulse_count(const std::string& serial, std::int64_t count, std::int64_t now);

  // ---- runs ----
  // Records the start of a run and returns how the previous one ended. boot_id tells a crash
  // from a power loss (a different boot id means the machine restarted under us).
  core::Result<RunEnd> begin_run(std::int64_t now, const std::string& boot_id);
  core::Status end_run(RunEnd how, std::int64_t now);

  platform::sqlite::Db& db() { return db_; }

 private:
  explicit Store(platform::sqlite::Db db) : db_(std::move(db)) {}
  platform::sqlite::Db db_;
  std::int64_t run_id_ = 0;
};

}  // namespace ml::agent
