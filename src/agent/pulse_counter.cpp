// The pulse counter (pulse_counter.hpp).
#include "agent/pulse_counter.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;
namespace sample = core::sample;

// Setting keys in the store (the count itself has its own table).
constexpr const char* kPulseBaseKey = "pulse_base";
constexpr const char* kPulsePerUnitKey = "pulse_per_unit";  // set by the setup page
constexpr const char* kOperatingKey = "operating_seconds";

// A stored whole number; nullopt when the text is not one of T (a damaged setting).
template <class T>
std::optional<T> stored_number(const std::string& text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

PulseCounter::PulseCounter(Store& store, std::string name, sample::MeterKind kind,
                           const PulseConfig& config, std::function<std::int64_t()> now)
    : store_(store),
      name_(std::move(name)),
      kind_(kind),
      configured_per_unit_(config.per_unit),
      now_(std::move(now)),
      filter_(config.width_filter, config.min_width_ms, config.max_width_ms),
      per_unit_(config.per_unit) {}

void PulseCounter::load(const std::string& serial, Clock::time_point at) {
  serial_ = serial;
  count_ = 0;
  if (auto stored = store_.pulse_count(serial_); !stored) {
    log::error(name_ + ": cannot read the pulse count: " + stored.error().message());
  } else if (*stored) {
    count_ = static_cast<std::uint64_t>(**stored);
  }
  dirty_ = false;
  count_at_last_sample_ = count_;
  last_sample_at_ = at;
  if (auto op = store_.setting(serial_, kOperatingKey); !op) {
    log::error(name_ + ": cannot read the operating time: " + op.error().message());
  } else if (*op) {
    if (auto n = stored_number<std::int64_t>(**op)) {
      operating_seconds_ = *n;
    } else {
      log::error(name_ + ": the stored operating time \"" + **op + "\" is not a number");
    }
  }
  per_unit_ = configured_per_unit_;
  if (auto pu = store_.setting(serial_, kPulsePerUnitKey); !pu) {
    log::error(name_ + ": cannot read the impulses per unit: " + pu.error().message());
  } else if (*pu) {
    if (auto n = stored_number<std::uint32_t>(**pu); n && *n > 0) {
      per_unit_ = *n;
    } else {
      log::error(name_ + ": the stored impulses per unit \"" + **pu +
                 "\" is not a number from 1; using the configuration's");
    }
  }
  base_ = "0";
  if (auto b = store_.setting(serial_, kPulseBaseKey); !b) {
    log::error(name_ + ": cannot read the base reading: " + b.error().message());
  } else if (*b) {
    base_ = **b;
  }
}

void PulseCounter::on_edge(const core::pulse::EdgeEvent& e) {
  if (filter_.on_edge(e)) {
    ++count_;
    dirty_ = true;
  }
}

core::Status PulseCounter::save() {
  ML_TRY(store_.save_pulse_count(serial_, static_cast<std::int64_t>(count_), now_()));
  dirty_ = false;
  return core::Ok{};
}

void PulseCounter::save_if_dirty() {
  if (!dirty_) return;
  if (auto s = save(); !s) {
    log::error(name_ + ": cannot save the pulse count: " + s.error().message());
  }
}

core::Status PulseCounter::calibrate(const core::Decimal& base, std::uint32_t per_unit) {
  if (base.negative) {
    return core::make_error(core::Errc::invalid_argument, "the base reading must not be negative");
  }
  if (per_unit == 0) {
    return core::make_error(core::Errc::invalid_argument, "impulses per unit must be at least 1");
  }
  const std::int64_t t = now_();
  ML_TRY(store_.set_setting(serial_, kPulseBaseKey, base.to_string(), t));
  ML_TRY(store_.set_setting(serial_, kPulsePerUnitKey, std::to_string(per_unit), t));
  base_ = base.to_string();
  per_unit_ = per_unit;
  count_ = 0;
  count_at_last_sample_ = 0;
  if (auto s = save(); !s) {
    // The settings are stored; the count is saved again within a second (it stays dirty).
    dirty_ = true;
    log::error(name_ + ": cannot save the pulse count: " + s.error().message());
  }
  log::info(name_ + ": base reading " + base.to_string() + ", " + std::to_string(per_unit) +
            " impulses per unit (setup page); the pulse count starts at 0");
  return core::Ok{};
}

core::Result<sample::Reading> PulseCounter::reading(Clock::time_point at) {
  const auto elapsed_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(at - last_sample_at_).count());
  const std::uint64_t delta = count_ - count_at_last_sample_;
  auto base = core::Decimal::parse(base_);
  if (!base) return base.error();
  const core::pulse::PulseTotals totals{*base, count_, per_unit_};
  auto total = totals.total();
  if (!total) return total.error();
  operating_seconds_ += static_cast<std::int64_t>(elapsed_ms / 1000);
  if (auto s =
          store_.set_setting(serial_, kOperatingKey, std::to_string(operating_seconds_), now_());
      !s) {
    log::error(name_ + ": cannot store the operating time: " + s.error().message());
  }
  sample::Reading r;
  r.kind = kind_;
  r.serial = serial_;
  const core::Decimal hours{false, static_cast<std::uint64_t>(operating_seconds_ / 3600), 0};
  r.values["hr"] = {hours, ""};
  if (kind_ == sample::MeterKind::pulse_water) {
    auto flow =
        core::pulse::average_flow_lh(delta, std::max<std::uint64_t>(elapsed_ms, 1), per_unit_);
    if (!flow) return flow.error();
    r.values["flow1"] = {*flow, "l/h"};
    r.values["v1"] = {*total, "m3"};
  } else {
    auto power =
        core::pulse::average_power_kw(delta, std::max<std::uint64_t>(elapsed_ms, 1), per_unit_);
    if (!power) return power.error();
    r.values["effect1"] = {*power, "kW"};
    r.values["e1"] = {*total, "kWh"};
  }
  count_at_last_sample_ = count_;
  last_sample_at_ = at;
  return r;
}

}  // namespace ml::agent
