// The valve controller (valve_controller.hpp).
#include "agent/valve_controller.hpp"

#include "core/valve/limit.hpp"
#include "core/valve/rules.hpp"
#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;

constexpr const char* kMeteredKey = "metered";  // e1 (kWh) or v1 (m3) of the last reading

}  // namespace

ValveController::ValveController(Store& store, std::string name, bool flow_meter, bool auto_close,
                                 OpenOutputs open_outputs, std::function<std::int64_t()> now)
    : store_(store),
      name_(std::move(name)),
      flow_meter_(flow_meter),
      auto_close_(auto_close),
      open_outputs_(std::move(open_outputs)),
      now_(std::move(now)) {}

void ValveController::load(const std::string& serial) {
  serial_ = serial;
  if (!serial_.empty()) {
    if (auto stored = store_.valve(serial_); !stored) {
      log::error(name_ + ": cannot read the valve state: " + stored.error().message());
    } else if (*stored) {
      state_ = **stored;
    }
    if (auto m = store_.setting(serial_, kMeteredKey); !m) {
      log::error(name_ + ": cannot read the last reading: " + m.error().message());
    } else if (*m) {
      if (auto d = core::Decimal::parse(**m)) metered_ = *d;
    }
  }
  const bool open = state_.state == "open";
  if (!outputs_) {
    auto outputs = open_outputs_(open);
    if (!outputs) {
      log::error(name_ + ": " + outputs.error().message());
    } else {
      outputs_.emplace(std::move(outputs).value());
    }
  } else if (auto s = outputs_->set(open); !s) {
    log::error(name_ + ": " + s.error().message());
  }
  if (!serial_.empty()) {
    if (auto s = store_.set_valve(serial_, state_, "start", now_()); !s) {
      log::error(name_ + ": cannot store the valve state: " + s.error().message());
    }
  }
  log::info(name_ + ": valve " + state_.state + ", limit " + state_.limit +
            " (set from the stored state)");
}

core::valve::ValveState ValveController::current() const {
  core::valve::ValveState s;
  s.open = state_.state == core::valve::state_text(true);
  if (auto limit = core::Decimal::parse(state_.limit)) s.limit = *limit;
  return s;
}

void ValveController::set(bool open, const std::optional<core::Decimal>& limit, const char* cause) {
  ValveRecord next = state_;
  next.state = core::valve::state_text(open);
  if (limit) next.limit = limit->to_string();
  // The outputs are driven even without a change: after `off` or `test` they need it.
  if (outputs_) {
    if (auto s = outputs_->set(open); !s) log::error(name_ + ": " + s.error().message());
  }
  if (next.state == state_.state && next.limit == state_.limit) return;
  if (auto s = store_.set_valve(serial_, next, cause, now_()); !s) {
    log::error(name_ + ": cannot store the valve state: " + s.error().message());
  }
  log::info(name_ + " " + serial_ + ": valve " + next.state + ", limit " + next.limit + " (" +
            cause + ")");
  state_ = next;
}

std::vector<ValveController::Reply> ValveController::open_until(const std::string& argument,
                                                                bool delta) {
  const std::string command = delta ? "open_until_delta" : "open_until";
  const auto outcome = core::valve::open_until(current(), argument, delta, metered_, flow_meter_);
  if (!outcome.unchanged.empty()) {
    log::warning(name_ + " " + serial_ + ": " + command + " changes nothing: " + outcome.unchanged);
  } else {
    set(true, outcome.next.limit, "command");
  }
  return {{command, outcome.reply}, {"status", state_.state}};
}

bool ValveController::on_reading(const core::sample::Reading& reading) {
  auto m = core::valve::metered(reading);
  if (!m) return false;
  if (!metered_ || !(*metered_ == *m)) {
    metered_ = *m;
    if (auto s = store_.set_setting(serial_, kMeteredKey, m->to_string(), now_()); !s) {
      log::error(name_ + ": cannot store the reading: " + s.error().message());
    }
  }
  if (!auto_close_ || !core::valve::closes(current(), *m)) return false;
  set(false, std::nullopt, "auto_close");
  return true;
}

void ValveController::cron_command(const std::string& command) {
  if (command == "open" || command == "close") {
    set(command == "open", std::nullopt, "cron");
  } else if ((command == "off" || command == "test") && outputs_) {
    auto s = command == "off" ? outputs_->off() : outputs_->test();
    if (!s) log::error(name_ + ": " + s.error().message());
    log::info(name_ + " " + serial_ + ": valve outputs " + command + " (cron)");
  }
}

}  // namespace ml::agent
