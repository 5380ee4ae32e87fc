#include "sim/kmp_meter.hpp"

#include <algorithm>
#include <array>

#include "core/bytes.hpp"
#include "core/crc.hpp"
#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"
#include "sim/sim_clock.hpp"

namespace ml::sim {
namespace {

using core::Decimal;
using core::kmp::RegisterValue;

// Meter types and revisions are this emulator's own choice (no real meter was available to read
// them); see docs/emulators.md.
constexpr std::array<KmpModelInfo, 4> kModels{{
    {KmpModel::mc601, "mc601", "Kamstrup MULTICAL 601", 0x0601, 0x0102, EnergyUnit::kwh, 0x009B,
     false},
    {KmpModel::mc602, "mc602", "Kamstrup MULTICAL 602", 0x0602, 0x0201, EnergyUnit::kwh, 0x009B,
     false},
    {KmpModel::mc603, "mc603", "Kamstrup MULTICAL 603", 0x0603, 0x0301, EnergyUnit::kwh, 0x009B,
     false},
    {KmpModel::mc403, "mc403", "Kamstrup MULTICAL 403 (battery)", 0x0403, 0x0101, EnergyUnit::gj,
     0x010A, true},
}};

// Unit codes.
constexpr std::uint8_t kNone = 0x00, kKwh = 0x02, kMwh = 0x03, kGj = 0x08, kGcal = 0x0C, kKw = 0x16,
                       kC = 0x25, kK = 0x26, kL = 0x27, kM3 = 0x28, kLh = 0x29, kM3C = 0x2B,
                       kTon = 0x2C, kH = 0x2E, kClock = 0x2F, kDate = 0x30, kNumber = 0x33,
                       kBar = 0x34;

bool is_energy_register(std::uint16_t id) {
  switch (id) {
    case 0x003C:  // E1
    case 0x005E:  // E2
    case 0x003F:  // E3
    case 0x003D:  // E4
    case 0x003E:  // E5
    case 0x005F:  // E6
    case 0x0060:  // E7
    case 0x0040:  // TA2
    case 0x0041:  // TA3
      return true;
    default:
      return false;
  }
}

std::uint8_t energy_code(EnergyUnit u) {
  switch (u) {
    case EnergyUnit::kwh:
      return kKwh;
    case EnergyUnit::mwh:
      return kMwh;
    case EnergyUnit::gj:
      return kGj;
    case EnergyUnit::gcal:
      return kGcal;
  }
  return kKwh;
}

// Resolution of the energy registers: kWh whole, MWh 3 decimals (= 1 kWh), GJ 2 decimals,
// Gcal 3 decimals (the MULTICAL's usual display for a small flow sensor).
std::int32_t energy_exponent(EnergyUnit u) {
  switch (u) {
    case EnergyUnit::kwh:
      return 0;
    case EnergyUnit::mwh:
      return -3;
    case EnergyUnit::gj:
      return -2;
    case EnergyUnit::gcal:
      return -3;
  }
  return 0;
}

std::int64_t average_cc(std::int64_t sum, std::uint64_t n, std::int32_t now) {
  if (n == 0) return now;
  return sum / static_cast<std::int64_t>(n);  // truncates toward zero, like the meter's display
}

Decimal number(std::uint64_t v) {
  return Decimal{false, v, 0};
}

std::string cid_text(std::uint8_t cid) {
  const std::string_view name = core::kmp::cid_name(cid);
  if (!name.empty()) return std::string(name);
  return "CID " + core::hex_byte(cid);
}

}  // namespace

std::span<const KmpModelInfo> kmp_models() {
  return kModels;
}

const KmpModelInfo& kmp_model_info(KmpModel model) {
  for (const KmpModelInfo& m : kModels) {
    if (m.model == model) return m;
  }
  return kModels[0];
}

std::optional<KmpModel> kmp_model_from_name(std::string_view name) {
  for (const KmpModelInfo& m : kModels) {
    if (m.name == name) return m.model;
  }
  return std::nullopt;
}

nlohmann::json register_json(const RegisterValue& v) {
  nlohmann::json j;
  j["id"] = v.id;
  const auto info = core::kmp::register_by_id(v.id);
  j["name"] = info ? std::string(info->name) : "";
  const auto unit = core::kmp::unit_by_code(v.unit);
  j["unit"] = unit ? std::string(unit->text) : "";
  j["unit_code"] = v.unit;
  j["value"] = v.value.to_string();
  return j;
}

core::Bytes encode_with_bad_crc(const core::kmp::Frame& frame, std::uint16_t mask) {
  core::Bytes body{frame.dst, frame.cid};
  body.insert(body.end(), frame.data.begin(), frame.data.end());
  const auto crc = static_cast<std::uint16_t>(core::crc16_xmodem(body) ^ (mask == 0 ? 1 : mask));
  body.push_back(static_cast<std::uint8_t>(crc >> 8));
  body.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  core::Bytes out{frame.direction == core::kmp::Direction::reply ? core::kmp::kStartReply
                                                                 : core::kmp::kStartRequest};
  const core::Bytes stuffed = core::kmp::stuff(body);
  out.insert(out.end(), stuffed.begin(), stuffed.end());
  out.push_back(core::kmp::kStop);
  return out;
}

KmpMeter::KmpMeter(const KmpMeterConfig& config)
    : config_(config),
      energy_unit_(config.energy_unit ? *config.energy_unit
                                      : kmp_model_info(config.model).default_energy_unit) {}

std::optional<RegisterFormat> KmpMeter::format(std::uint16_t id) const {
  const KmpModelInfo& m = model();
  if (is_energy_register(id))
    return RegisterFormat{energy_code(energy_unit_), energy_exponent(energy_unit_)};
  switch (id) {
    case 0x0061:  // E8 m3 x T1
    case 0x006E:  // E9 m3 x T2
      return RegisterFormat{kM3C, 0};
    case 0x009B:  // high-resolution energy, MULTICAL 60x: kWh with 2 decimals
      if (m.high_res_register != 0x009B) return std::nullopt;
      return RegisterFormat{kKwh, -2};
    case 0x010A:  // high-resolution energy, MULTICAL 403: kWh with 3 decimals (Wh)
      if (m.high_res_register != 0x010A) return std::nullopt;
      return RegisterFormat{kKwh, -3};
    case 0x0042:  // TL2
    case 0x0043:  // TL3
      return RegisterFormat{kNumber, 0};
    case 0x0044:  // V1
    case 0x0045:  // V2
    case 0x0054:  // VA
    case 0x0055:  // VB
      return RegisterFormat{kM3, -2};
    case 0x0048:  // M1
    case 0x0049:  // M2
      return RegisterFormat{kTon, -2};
    case 0x00EA:  // litres per pulse A
    case 0x00EB:  // litres per pulse B
      return RegisterFormat{kL, 0};
    case 0x004A:  // FLOW1
    case 0x004B:  // FLOW2
    case 0x007C:  // max flow (year)
    case 0x007E:  // min flow (year)
    case 0x008B:  // max flow (month)
    case 0x008D:  // min flow (month)
      return RegisterFormat{kLh, 0};
    case 0x0050:  // POWER1
    case 0x0080:
    case 0x0082:
    case 0x008F:
    case 0x0091:
      return RegisterFormat{kKw, -1};
    case 0x0056:  // T1
    case 0x0057:  // T2
    case 0x0058:  // T3
    case 0x0092:  // averages
    case 0x0093:
    case 0x0095:
    case 0x0096:
      return RegisterFormat{kC, -2};
    case 0x007A:  // T4
      if (m.battery) return std::nullopt;
      return RegisterFormat{kC, -2};
    case 0x0059:  // T1-T2
      return RegisterFormat{kK, -2};
    case 0x005B:  // P1
    case 0x005C:  // P2
      if (m.battery) return std::nullopt;
      return RegisterFormat{kBar, -1};
    case 0x007B:  // dates of the peaks
    case 0x007D:
    case 0x007F:
    case 0x0081:
    case 0x008A:
    case 0x008C:
    case 0x008E:
    case 0x0090:
    case 0x0062:  // target date
    case 0x03EB:  // date
      return RegisterFormat{kDate, 0};
    case 0x03EA:  // clock
      return RegisterFormat{kClock, 0};
    case 0x03EC:  // HR
    case 0x00AF:  // error hours
      return RegisterFormat{kH, 0};
    case 0x0063:  // info code
      return RegisterFormat{kNone, 0};
    case 0x0071:  // info-event counter
    case 0x03E9:  // serial
    case 0x0070:  // customer number high
    case 0x03F2:  // customer number low
    case 0x0072:  // meter numbers VA / VB
    case 0x0068:
    case 0x0098:  // program number
    case 0x0099:  // configuration numbers
    case 0x00A8:
    case 0x03ED:  // software edition
    case 0x009A:  // software checksum
    case 0x009D:  // module ids
    case 0x009E:
      return RegisterFormat{kNumber, 0};
    default:
      return std::nullopt;  // V1REV (MULTICAL 21), electricity registers, unknown ids
  }
}

std::optional<RegisterValue> KmpMeter::value(std::uint16_t id, const HeatState& s) const {
  const auto fmt = format(id);
  if (!fmt) return std::nullopt;
  if (auto it = written_.find(id); it != written_.end()) return it->second;
  const Instant& v = s.now;
  const Totals& t = s.totals;
  const std::int64_t meter_ms = s.sim_ms + clock_offset_ms_;
  const std::int32_t e = fmt->exponent;
  Decimal d;
  switch (id) {
    case 0x003C:
      d = energy_value(t.energy_mwh, energy_unit_, e);
      break;
    case 0x003D:  // E4 flow energy: E8 x 1.163 kWh / (m3 K); E8 unit 1e-8 m3 C = 1.163e-2 mWh
      d = energy_value(count_in(t.e8, 0, kHeatCoefficientMilli, 100'000, 0), energy_unit_, e);
      break;
    case 0x003E:  // E5 return energy
      d = energy_value(count_in(t.e9, 0, kHeatCoefficientMilli, 100'000, 0), energy_unit_, e);
      break;
    case 0x005E:
    case 0x003F:
    case 0x005F:
    case 0x0060:
    case 0x0040:
    case 0x0041:
      d = energy_value(0, energy_unit_, e);
      break;
    case 0x0061:
      d = Decimal{false, count_in(t.e8, -8, 1, 1, e), e};
      break;
    case 0x006E:
      d = Decimal{false, count_in(t.e9, -8, 1, 1, e), e};
      break;
    case 0x009B:
    case 0x010A:
      d = energy_value(t.energy_mwh, EnergyUnit::kwh, e);
      break;
    case 0x0044:
      d = volume_value(t.volume_ml, e);
      break;
    case 0x0048:  // mass: 0.977 t/m3 (water at about 65 C); 1 ml = 0.977 g = 9.77e-7 t
      d = Decimal{false, count_in(t.volume_ml, -9, 977, 1, e), e};
      break;
    case 0x0045:
    case 0x0054:
    case 0x0055:
    case 0x0049:
      d = fixed(0, e);
      break;
    case 0x00EA:
    case 0x00EB:
      d = number(10);
      break;
    case 0x004A:
      d = flow_value(v.flow_lph, false, e);
      break;
    case 0x004B:
      d = flow_value(0, false, e);
      break;
    case 0x007C:
    case 0x008B:
      d = flow_value(t.periods ? t.max_flow_lph : v.flow_lph, false, e);
      break;
    case 0x007E:
    case 0x008D:
      d = flow_value(t.periods ? t.min_flow_lph : v.flow_lph, false, e);
      break;
    case 0x0050:
      d = power_value(v.power_w, false, e);
      break;
    case 0x0080:
    case 0x008F:
      d = power_value(t.periods ? t.max_power_w : v.power_w, false, e);
      break;
    case 0x0082:
    case 0x0091:
      d = power_value(t.periods ? t.min_power_w : v.power_w, false, e);
      break;
    case 0x0056:
      d = centi(v.t1_cc);
      break;
    case 0x0057:
      d = centi(v.t2_cc);
      break;
    case 0x0058:
      d = centi(v.t3_cc);
      break;
    case 0x007A:
      d = centi(v.t4_cc);
      break;
    case 0x0059:
      d = centi(v.tdif_cc);
      break;
    case 0x0092:
    case 0x0095:
      d = centi(average_cc(t.t1_sum_cc, t.periods, v.t1_cc));
      break;
    case 0x0093:
    case 0x0096:
      d = centi(average_cc(t.t2_sum_cc, t.periods, v.t2_cc));
      break;
    case 0x005B:
      d = fixed(v.p1_dbar, -1);
      break;
    case 0x005C:
      d = fixed(v.p2_dbar, -1);
      break;
    case 0x007B:
    case 0x008A:
      d = number(yymmdd((t.periods ? t.max_flow_ms : s.sim_ms) + clock_offset_ms_));
      break;
    case 0x007D:
    case 0x008C:
      d = number(yymmdd((t.periods ? t.min_flow_ms : s.sim_ms) + clock_offset_ms_));
      break;
    case 0x007F:
    case 0x008E:
      d = number(yymmdd((t.periods ? t.max_power_ms : s.sim_ms) + clock_offset_ms_));
      break;
    case 0x0081:
    case 0x0090:
      d = number(yymmdd((t.periods ? t.min_power_ms : s.sim_ms) + clock_offset_ms_));
      break;
    case 0x0062: {  // target date: 1 January of the meter's current year
      const CivilTime c = civil_time(meter_ms);
      d = number(static_cast<std::uint64_t>((c.year % 100) * 10000 + 101));
      break;
    }
    case 0x03EB:
      d = number(yymmdd(meter_ms));
      break;
    case 0x03EA:
      d = number(hhmmss(meter_ms));
      break;
    case 0x03EC:
      d = number(t.operating_ds / 36000);
      break;
    case 0x00AF:
    case 0x0063:
    case 0x0071:
    case 0x0072:
    case 0x0068:
    case 0x009D:
    case 0x009E:
    case 0x0042:
    case 0x0043:
      d = number(0);
      break;
    case 0x03E9:
      d = number(config_.serial);
      break;
    case 0x0070:
      d = number(config_.customer_number / 100'000'000);
      break;
    case 0x03F2:
      d = number(config_.customer_number % 100'000'000);
      break;
    case 0x0098: {  // program number ABCCCCCC: A = 4 (return pipe), B = energy unit, CCC 116
      const std::uint64_t b = energy_unit_ == EnergyUnit::gj    ? 2
                              : energy_unit_ == EnergyUnit::kwh ? 3
                              : energy_unit_ == EnergyUnit::mwh ? 4
                                                                : 5;
      d = number(4'000'000 * 10 + b * 1'000'000 + 116);
      break;
    }
    case 0x0099:
      d = number(41102);
      break;
    case 0x00A8:
      d = number(100000);
      break;
    case 0x03ED:
      d = number(model().sw_revision);
      break;
    case 0x009A:
      d = number(model().meter_type ^ 0x5A3Cu);
      break;
    default:
      return std::nullopt;
  }
  RegisterValue r;
  r.id = id;
  r.unit = fmt->unit_code;
  r.value = d;
  return r;
}

KmpOutcome KmpMeter::handle(const core::kmp::Frame& request, const HeatState& state) {
  using core::kmp::Cid;
  KmpOutcome out;
  out.request = cid_text(request.cid);
  auto silent = [&](Reject r, std::string why) {
    out.reply = false;
    out.reason = r;
    out.why = std::move(why);
    return out;
  };
  if (request.dst != core::kmp::kDstHeatMeter) {
    std::string what = "destination " + core::hex_byte(request.dst);
    if (request.dst == core::kmp::kDstLoggerTop) what += " (logger, top module)";
    if (request.dst == core::kmp::kDstLoggerBase) what += " (logger, base module)";
    return silent(Reject::wrong_destination,
                  out.request + " to " + what + ": only the heat meter (0x3F) is emulated");
  }
  out.detail["request"] = out.request;
  auto reply_with = [&](core::Bytes wire) {
    out.reply = true;
    auto frame = core::kmp::decode_frame(wire);
    if (frame) out.frame = std::move(frame).value();
    out.wire = std::move(wire);
    return out;
  };
  switch (static_cast<Cid>(request.cid)) {
    case Cid::get_serial:
      if (!request.data.empty()) {
        return silent(Reject::bad_request,
                      "GetSerialNo with " + std::to_string(request.data.size()) + " data bytes");
      }
      out.detail["serial"] = config_.serial;
      return reply_with(core::kmp::encode_serial_reply(config_.serial));
    case Cid::get_type: {
      if (!request.data.empty()) {
        return silent(Reject::bad_request,
                      "GetType with " + std::to_string(request.data.size()) + " data bytes");
      }
      core::kmp::TypeInfo info{model().meter_type, model().sw_revision};
      out.detail["meter_type"] = info.meter_type;
      out.detail["sw_revision"] = info.sw_revision;
      out.detail["revision"] = info.revision_text();
      return reply_with(core::kmp::encode_type_reply(info));
    }
    case Cid::get_register: {
      auto ids = core::kmp::decode_register_request(request);
      if (!ids) return silent(Reject::bad_request, ids.error().message());
      std::vector<RegisterValue> values;
      nlohmann::json regs = nlohmann::json::array();
      nlohmann::json omitted = nlohmann::json::array();
      for (std::uint16_t id : *ids) {
        if (auto v = value(id, state)) {
          regs.push_back(register_json(*v));
          values.push_back(std::move(*v));
        } else {
          omitted.push_back(id);
        }
      }
      auto wire = core::kmp::encode_register_reply(values);
      if (!wire) return silent(Reject::bad_request, wire.error().message());
      out.detail["registers"] = std::move(regs);
      out.detail["omitted"] = std::move(omitted);
      return reply_with(std::move(wire).value());
    }
    case Cid::set_clock: {
      auto clock = core::kmp::decode_set_clock_request(request);
      if (!clock) return silent(Reject::bad_request, clock.error().message());
      const CivilTime c{clock->year,   clock->month,  clock->day, clock->hour,
                        clock->minute, clock->second, 0};
      clock_offset_ms_ = unix_ms(c) - state.sim_ms;
      out.detail["clock"] = iso_time(unix_ms(c));
      out.reply = true;
      out.wire = core::Bytes{core::kmp::kAck};
      return out;
    }
    case Cid::put_register: {
      auto v = core::kmp::decode_put_register_request(request);
      if (!v) return silent(Reject::bad_request, v.error().message());
      const bool writable = std::find(std::begin(kWritableRegisters), std::end(kWritableRegisters),
                                      v->id) != std::end(kWritableRegisters);
      if (!writable) {
        return silent(Reject::read_only, "PutRegister of register " + std::to_string(v->id) + " (" +
                                             core::hex_word(v->id) +
                                             "), which this meter does not let you write");
      }
      written_[v->id] = *v;
      out.detail["written"] = register_json(*v);
      const std::uint16_t ids[] = {v->id};
      return reply_with(core::kmp::encode_put_register_reply(ids));
    }
  }
  return silent(Reject::unsupported, out.request + " is not emulated");
}

nlohmann::json KmpMeter::describe() const {
  nlohmann::json j;
  j["model"] = std::string(model().name);
  j["description"] = std::string(model().description);
  j["serial"] = config_.serial;
  j["energy_unit"] = std::string(energy_unit_text(energy_unit_));
  j["meter_type"] = model().meter_type;
  j["sw_revision"] = core::kmp::TypeInfo{model().meter_type, model().sw_revision}.revision_text();
  j["clock_offset_ms"] = clock_offset_ms_;
  nlohmann::json written = nlohmann::json::array();
  for (const auto& [id, v] : written_)
    written.push_back(register_json(v));
  j["written_registers"] = std::move(written);
  return j;
}

}  // namespace ml::sim
