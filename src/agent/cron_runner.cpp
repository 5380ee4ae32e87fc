// The cron runner (cron_runner.hpp).
#include "agent/cron_runner.hpp"

#include <charconv>

#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;
namespace cron = core::cron;

// Setting keys in the store.
constexpr const char* kCronKey = "cron";                  // the jobs, one canonical text per line
constexpr const char* kCronLastKey = "cron_last_minute";  // the last UTC minute evaluated

}  // namespace

CronRunner::CronRunner(Store& store, std::string name, std::shared_ptr<const cron::ZoneRules> zone,
                       Run run, std::function<std::int64_t()> now)
    : store_(store),
      name_(std::move(name)),
      zone_(std::move(zone)),
      run_(std::move(run)),
      now_(std::move(now)) {}

void CronRunner::load(const std::string& serial) {
  serial_ = serial;
  jobs_.clear();
  if (serial_.empty()) return;
  if (last_minute_ == 0) {
    if (auto stored = store_.setting(serial_, kCronLastKey); !stored) {
      log::error(name_ + ": cannot read the last cron minute: " + stored.error().message());
    } else if (*stored) {
      const std::string& text = **stored;
      std::int64_t minute = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minute);
      if (ec == std::errc() && end == text.data() + text.size()) last_minute_ = minute;
    }
  }
  auto text = store_.setting(serial_, kCronKey);
  if (!text) {
    log::error(name_ + ": cannot read the cron jobs: " + text.error().message());
    return;
  }
  if (!*text) return;
  const std::string_view all = **text;
  std::size_t begin = 0;
  while (begin < all.size()) {
    std::size_t end = all.find('\n', begin);
    if (end == std::string_view::npos) end = all.size();
    const std::string_view line = all.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty()) continue;
    if (auto job = cron::parse_set_cron(line)) {
      jobs_.push_back(std::move(job).value());
    } else {
      log::error(name_ + ": a stored cron job does not parse: " + job.error().message());
    }
  }
}

core::Status CronRunner::save() {
  std::string text;
  for (const cron::Job& job : jobs_)
    text += cron::to_text(job) + "\n";
  return store_.set_setting(serial_, kCronKey, text, now_());
}

core::Status CronRunner::set_cron(std::string_view argument) {
  auto job = cron::parse_set_cron(argument);
  if (!job) return job.error();
  if (jobs_.size() >= cron::kMaxJobs) {
    return core::make_error(core::Errc::cron_full, std::to_string(cron::kMaxJobs) +
                                                       " jobs; nothing stored (clear_cron first)");
  }
  jobs_.push_back(std::move(job).value());
  if (auto s = save(); !s) {
    jobs_.pop_back();
    return s.error();
  }
  return core::Ok{};
}

std::string CronRunner::set_cron_reply(std::string_view argument, const core::Status& outcome) {
  if (outcome) return std::string(argument);  // the original echoes the job
  if (outcome.error().code == core::Errc::storage_failure) {
    return "cannot store the job: " + outcome.error().message();
  }
  return outcome.error().message();
}

core::Status CronRunner::clear() {
  std::vector<cron::Job> before;
  before.swap(jobs_);
  if (auto s = save(); !s) {
    jobs_.swap(before);
    return s.error();
  }
  return core::Ok{};
}

std::size_t CronRunner::tick(std::int64_t unix_seconds) {
  if (serial_.empty()) return 0;
  const std::int64_t minute = cron::utc_minute(unix_seconds);
  if (last_minute_ == 0) last_minute_ = minute - 1;
  if (minute <= last_minute_) return 0;  // the clock stepped back: wait until it passes the last
  std::size_t ran = 0;
  if (!jobs_.empty() && zone_) {
    const std::vector<cron::Job> jobs = jobs_;  // a job may clear the table
    for (const cron::Due& d : cron::due(jobs, last_minute_, minute, *zone_)) {
      if (run_) run_(jobs[d.job]);
      ++ran;
    }
    if (auto s = store_.set_setting(serial_, kCronLastKey, std::to_string(minute), unix_seconds);
        !s) {
      log::error(name_ + ": cannot store the cron minute: " + s.error().message());
    }
  }
  last_minute_ = minute;
  return ran;
}

}  // namespace ml::agent
