// The cron jobs of one meter with cron (meter::has_cron; docs/agent.md, Cron): the job table kept
// in the agent's store (one canonical job text a line, core::cron::to_text), the `set_cron`,
// `cron` and `clear_cron` commands over it, and the choice of the jobs due at a minute of the
// wall clock (core::cron::due), remembering the last minute evaluated so that a restart runs
// nothing twice. What a job does is the caller's: tick() hands each due job to the callback. No
// timer and no clock of its own: the caller passes the time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store.hpp"
#include "core/cron/cron.hpp"
#include "core/result.hpp"

namespace ml::agent {

class CronRunner {
 public:
  // Runs one due job (its command and parameters).
  using Run = std::function<void(const core::cron::Job& job)>;

  // `name` prefixes the log lines; `zone` gives local time (nullptr: no job is ever due); `now`
  // is the wall clock in unix seconds, for the store's change times.
  CronRunner(Store& store, std::string name, std::shared_ptr<const core::cron::ZoneRules> zone,
             Run run, std::function<std::int64_t()> now);

  // The serial is known (or still ""): the stored jobs are read (a stored job that no longer
  // parses is logged and left out), and, the first time a serial is known, the last minute
  // evaluated before a restart.
  void load(const std::string& serial);

  const std::vector<core::cron::Job>& jobs() const { return jobs_; }

  // set_cron: the job parsed from `argument` is added and the table stored. Refused, changing
  // nothing: an argument parse_set_cron refuses (cron_invalid, cron_bad_command), a table that
  // holds core::cron::kMaxJobs already (cron_full), a store that fails (storage_failure).
  core::Status set_cron(std::string_view argument);
  // The reply the original publishes under set_cron: the argument echoed when it was stored,
  // else what was wrong ("invalid cron job: hour: 24 is out of range 0-23").
  static std::string set_cron_reply(std::string_view argument, const core::Status& outcome);

  // clear_cron: the table emptied and stored.
  core::Status clear();

  // The wall clock reached `unix_seconds` (a plausible time: the caller skips an unset clock):
  // runs the jobs due in the minutes since the last one evaluated, in order (a job may clear
  // the table; the jobs of this minute still run), and stores the minute. Nothing runs before
  // the serial is known, nor while the clock is back before the last minute evaluated. Returns
  // how many jobs ran.
  std::size_t tick(std::int64_t unix_seconds);

  // The last UTC minute evaluated (0: none yet).
  std::int64_t last_minute() const { return last_minute_; }

 private:
  core::Status save();

  Store& store_;
  std::string name_;
  std::shared_ptr<const core::cron::ZoneRules> zone_;
  Run run_;
  std::function<std::int64_t()> now_;
  std::string serial_;
  std::vector<core::cron::Job> jobs_;
  std::int64_t last_minute_ = 0;
};

}  // namespace ml::agent
