// The meter registry's use cases (meters.hpp).
#include "server/usecases/meters.hpp"

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "core/envelope/envelope.hpp"
#include "core/meter/kind.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"
#include "server/command_queue.hpp"
#include "server/sample_days.hpp"
#include "server/sample_pack.hpp"
#include "server/sample_record.hpp"

namespace ml::server::usecase {
namespace {

constexpr std::int64_t kDay = 86400;

// Applies the given fields to `m`; returns the generated key ("" when none was made).
core::Result<std::string> apply(const MeterFields& f, Spelling s, Meter& m) {
  if (!f.key.empty() && f.generate_key) {
    return invalid("give " + field("key", s) + " (32 hex digits) or " + field("generate_key", s) +
                   ", not both");
  }
  std::string generated;
  if (!f.key.empty()) {
    auto parsed = core::envelope::parse_master_key(f.key);
    if (!parsed) return invalid(field("key", s) + ": " + parsed.error().detail);
    m.key_hex = core::to_hex(*parsed);
  }
  if (f.generate_key) {
    auto bytes = platform::random_bytes(core::envelope::kMasterKeySize);
    if (!bytes) return bytes.error();
    generated = core::to_hex(*bytes);
    m.key_hex = generated;
  }
  if (!f.kind.empty()) {
    const auto kind = core::meter::kind_from_name(f.kind);
    if (!kind) {
      return invalid(field("kind", s) + " must be one of " + core::meter::kind_names() +
                     ", not \"" + f.kind + "\"");
    }
    m.kind = *kind;
  }
  if (!f.name.empty()) m.name = f.name;
  if (!f.group.empty()) m.group = f.group;
  if (!f.setup_value.empty()) {
    auto v = core::Decimal::parse(f.setup_value);
    if (!v || v->negative) {
      return invalid(field("setup_value", s) + " must be a non-negative decimal (kWh), not \"" +
                     f.setup_value + "\"");
    }
    m.setup_value = *v;
  }
  if (f.valve) m.valve_installed = *f.valve;
  return generated;
}

}  // namespace

core::Result<NewMeter> build_meter(const AddMeter& request, std::int64_t now) {
  auto serial = core::topic::Serial::parse(request.serial);
  if (!serial) return invalid("serial \"" + request.serial + "\": " + serial.error().detail);
  const auto& f = request.fields;
  if (f.key.empty() && !f.generate_key) {
    return invalid("give " + field("key", request.spelling) + " (32 hex digits) or " +
                   field("generate_key", request.spelling));
  }
  NewMeter out;
  out.meter.serial = serial->canonical().text();
  out.meter.kind = core::meter::kDefaultKind;
  out.meter.created = now;
  auto generated = apply(f, request.spelling, out.meter);
  if (!generated) return generated.error();
  out.generated_key = std::move(generated).value();
  return out;
}

core::Status add_meter(ServerStore& store, const NewMeter& meter) {
  return store.add_meter(meter.meter);
}

core::Result<NewMeter> update_meter(ServerStore& store, const UpdateMeter& request) {
  auto m = store.meter(request.serial);
  if (!m) return m.error();
  if (!*m) return invalid("no meter " + request.serial);
  NewMeter out{std::move(**m), ""};
  auto generated = apply(request.fields, request.spelling, out.meter);
  if (!generated) return generated.error();
  out.generated_key = std::move(generated).value();
  ML_TRY(store.update_meter(out.meter));
  return out;
}

core::Result<int> remove_meter(ServerStore& store, const std::string& serial) {
  int given_up = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    ML_TRY(store.remove_meter(serial));
    auto n = give_up_commands(store, serial);
    if (!n) return n.error();
    given_up = *n;
    return core::Ok{};
  });
  if (!done) return done.error();
  return given_up;
}

core::Result<std::vector<StoredSample>> rate_window(ServerStore& store, const std::string& serial) {
  auto latest = store.latest_sample(serial);
  if (!latest) return latest.error();
  std::vector<StoredSample> out;
  if (!*latest) return out;
  auto first = store.first_sample_since(serial, (*latest)->time - kDay);
  if (!first) return first.error();
  if (*first && (*first)->time < (*latest)->time) out.push_back(std::move(**first));
  out.push_back(std::move(**latest));
  return out;
}

core::Result<std::unordered_map<std::string, std::vector<StoredSample>>> rate_windows(
    ServerStore& store, const std::vector<Meter>& meters, std::int64_t now) {
  // Packing leaves the days after (today - kPackMinAgeDays) alone, even with a clock a day
  // ahead of this one: a window starting at yesterday's midnight or later is all in rows.
  const std::int64_t since = (day_of(now) - kPackMinAgeDays + 1) * kDaySeconds + kDay;
  auto rows = store.every_rate_window(since, kDay);
  if (!rows) return rows.error();
  std::unordered_map<std::string, std::vector<StoredSample>> out;
  out.reserve(meters.size());
  for (auto& [serial, row] : *rows) {
    auto& window = out[serial];
    if (!window.empty() && window.back().time == row.time) continue;  // the newest is the first
    window.push_back(stored_sample(serial, row.time, row.text, std::move(row.energy_kwh),
                                   std::move(row.volume_m3)));
  }
  for (const Meter& m : meters) {
    if (out.contains(m.serial)) continue;
    auto window = rate_window(store, m.serial);
    if (!window) return window.error();
    out.emplace(m.serial, std::move(window).value());
  }
  return out;
}

core::Result<MeterReport> show_meter(ServerStore& store, const std::string& serial) {
  auto m = store.meter(serial);
  if (!m) return m.error();
  if (!*m) return invalid("no meter " + serial);
  MeterReport r;
  r.meter = std::move(**m);
  auto diag = store.diagnostics(serial);
  if (!diag) return diag.error();
  for (const auto& [fn, v] : *diag)
    r.diagnostics[fn] = {core::topic::masked_reply(fn, v.text), v.time};
  auto entries = store.payments(serial);
  if (!entries) return entries.error();
  auto limit = open_until_limit(r.meter, *entries);
  if (!limit) return limit.error();
  auto total = paid(*entries);
  if (!total) return total.error();
  r.paid = total->to_string();
  r.open_until = limit->to_string();
  auto window = rate_window(store, serial);
  if (!window) return window.error();
  r.remaining = remaining(*limit, *window, r.meter.kind == core::meter::Kind::water);
  auto rejected = store.rejections_for(serial);
  if (!rejected) return rejected.error();
  r.rejected = std::move(rejected).value();
  return r;
}

}  // namespace ml::server::usecase
