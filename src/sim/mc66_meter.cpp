#include "sim/mc66_meter.hpp"

#include <algorithm>

#include "sim/quantities.hpp"
#include "sim/sim_clock.hpp"

namespace ml::sim {
namespace {

using core::Decimal;
using DataRequest = core::iec::Mc66Request;

constexpr std::uint64_t kTokenModulo = 10'000'000;  // 7-digit registers roll over

Decimal rolled(Decimal d) {
  d.mantissa %= kTokenModulo;
  return d;
}

EnergyUnit unit_for_b(std::uint8_t b) {
  switch (b) {
    case 2:
      return EnergyUnit::gj;
    case 4:
      return EnergyUnit::mwh;
    case 5:
      return EnergyUnit::gcal;
    default:
      return EnergyUnit::kwh;
  }
}

// A readout value: 7 digits with the decimal point placed for the exponent ("00001.23").
std::string readout_number(const Decimal& d) {
  std::uint64_t count = d.mantissa;
  int decimals = 0;
  if (d.exponent > 0) {
    for (int i = 0; i < d.exponent; ++i)
      count *= 10;
  } else {
    decimals = -d.exponent;
  }
  std::string digits = std::to_string(count % kTokenModulo);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  if (decimals > 0 && decimals < 7) {
    digits.insert(digits.size() - static_cast<std::size_t>(decimals), 1, '.');
  }
  return digits;
}

bool printable(std::uint8_t c) {
  return c >= 0x20 && c <= 0x7E;
}

nlohmann::json reply_values_json(const core::iec::Mc66Reply& r) {
  nlohmann::json values = nlohmann::json::array();
  for (const core::iec::Mc66Value& v : r.values) {
    nlohmann::json j;
    j["name"] = std::string(v.name);
    j["token"] = v.token;
    j["value"] = v.value.to_string();
    j["unit"] = std::string(v.unit);
    values.push_back(std::move(j));
  }
  return values;
}

}  // namespace

core::Status validate(const Mc66Config& c) {
  if (auto id = core::iec::make_ident(c.ident); !id) return id.error();
  if (c.customer > 99'999'999'999ULL) {
    return core::make_error(
        core::Errc::invalid_argument,
        "customer number " + std::to_string(c.customer) + " has more than 11 digits");
  }
  const core::iec::Scale scale = core::iec::scale_for(c.program);
  if (scale.scaling != core::iec::Scaling::program) {
    return core::make_error(core::Errc::invalid_argument,
                            "program number " + c.program.text() + ": " + scale.reason +
                                "; the emulator needs a program from the decimals table");
  }
  core::iec::Readout probe;
  probe.records = c.extra_records;
  if (auto b = core::iec::encode_readout(probe); !b) return b.error();
  return core::Ok{};
}

std::string IecRequest::text() const {
  switch (kind) {
    case Kind::ident:
      return "/?" + address + "!";
    case Kind::option_select:
      return "ACK " + options;
    case Kind::data_string:
      return std::string("/#") + data_id;
  }
  return {};
}

void Mc66Scanner::reset() {
  if (state_ != State::idle) drop_partial();
}

void Mc66Scanner::drop_partial() {
  noise_ += buf_.size() + 1;
  buf_.clear();
  state_ = State::idle;
}

std::optional<IecRequest> Mc66Scanner::feed(std::uint8_t c) {
  if (c == 0x00) {
    if (state_ != State::idle) drop_partial();
    ++nuls_;
    return std::nullopt;
  }
  auto emit = [&](IecRequest r) {
    r.nuls_before = nuls_;
    nuls_ = 0;
    buf_.clear();
    state_ = State::idle;
    return std::optional<IecRequest>(std::move(r));
  };
  // A byte that does not fit the request in progress: drop it and look at the byte afresh.
  auto restart = [&]() -> std::optional<IecRequest> {
    drop_partial();
    return feed(c);
  };
  switch (state_) {
    case State::idle:
      if (c == '/') {
        state_ = State::slash;
      } else if (c == 0x06) {
        state_ = State::ack;
      } else {
        ++noise_;
      }
      return std::nullopt;
    case State::slash:
      if (c == '?') {
        state_ = State::ident;
      } else if (c == '#') {
        state_ = State::hash;
      } else {
        return restart();
      }
      return std::nullopt;
    case State::ident:
      if (c == '!') {
        state_ = State::ident_cr;
      } else if (printable(c) && c != '/' && buf_.size() < 32) {
        buf_.push_back(static_cast<char>(c));
      } else {
        return restart();
      }
      return std::nullopt;
    case State::ident_cr:
      if (c != '\r') return restart();
      state_ = State::ident_lf;
      return std::nullopt;
    case State::ident_lf: {
      if (c != '\n') return restart();
      IecRequest r;
      r.kind = IecRequest::Kind::ident;
      r.address = buf_;
      return emit(std::move(r));
    }
    case State::hash:
      if (c == 'C') {
        IecRequest r;
        r.kind = IecRequest::Kind::data_string;
        r.data_id = 'C';
        return emit(std::move(r));
      }
      if (!printable(c) || c == '/') return restart();
      buf_.assign(1, static_cast<char>(c));
      state_ = State::data_cr;
      return std::nullopt;
    case State::data_cr: {
      if (c != '\r') return restart();
      IecRequest r;
      r.kind = IecRequest::Kind::data_string;
      r.data_id = buf_.empty() ? '?' : buf_[0];
      return emit(std::move(r));
    }
    case State::ack:
      if (buf_.size() < 3) {
        if (!printable(c) || c == '/') return restart();
        buf_.push_back(static_cast<char>(c));
        return std::nullopt;
      }
      if (buf_.size() == 3) {
        if (c != '\r') return restart();
        buf_.push_back('\r');
        return std::nullopt;
      }
      if (c != '\n') return restart();
      {
        IecRequest r;
        r.kind = IecRequest::Kind::option_select;
        r.options = buf_.substr(0, 3);
        return emit(std::move(r));
      }
  }
  return std::nullopt;
}

Mc66Meter::Mc66Meter(Mc66Config config)
    : config_(std::move(config)),
      scale_(core::iec::scale_for(config_.program)),
      energy_unit_(unit_for_b(config_.program.b)) {}

Decimal Mc66Meter::energy(const HeatState& s) const {
  return energy_value(s.totals.energy_mwh, energy_unit_, scale_.energy.exponent);
}

Decimal Mc66Meter::volume(const HeatState& s) const {
  return volume_value(s.totals.volume_ml, scale_.volume.exponent);
}

Decimal Mc66Meter::flow(const HeatState& s) const {
  return flow_value(s.now.flow_lph, scale_.flow.unit == "m3/h", scale_.flow.exponent);
}

Decimal Mc66Meter::power(const HeatState& s) const {
  return power_value(s.now.power_w, scale_.power.unit == "MW", scale_.power.exponent);
}

Mc66Built Mc66Meter::ident_reply() const {
  Mc66Built b;
  auto line = core::iec::encode_ident(config_.ident);
  if (line) b.bytes = std::move(line).value();
  b.detail["step"] = "ident";
  b.detail["ident"] = config_.ident;
  return b;
}

core::Result<Mc66Built> Mc66Meter::readout(const HeatState& s) const {
  using core::iec::Record;
  core::iec::Readout r;
  std::string customer = std::to_string(config_.customer);
  customer.insert(0, 11 - std::min<std::size_t>(11, customer.size()), '0');
  r.records.push_back(Record{"0.0", customer, std::nullopt});
  r.records.push_back(
      Record{"6.8", readout_number(energy(s)), std::string(energy_unit_text(energy_unit_))});
  r.records.push_back(Record{"6.26", readout_number(volume(s)), std::string("m3")});
  r.records.push_back(
      Record{"6.31", readout_number(Decimal{false, s.totals.operating_ds / 36000, 0}), "h"});
  for (const Record& extra : config_.extra_records)
    r.records.push_back(extra);
  r.separator =
      config_.variant == Mc66Variant::c ? core::iec::Separator::crlf : core::iec::Separator::none;
  r.line_break_at_end = false;  // "...(0056296*h)!" CR LF ETX, as the captured readouts
  auto bytes = core::iec::encode_readout(r);
  if (!bytes) return bytes.error();
  Mc66Built b;
  b.bytes = std::move(bytes).value();
  core::Bytes bad = b.bytes;
  bad.back() = static_cast<std::uint8_t>((bad.back() + 1) & 0x7F);
  b.bad_check = std::move(bad);
  b.detail["step"] = "data-readout";
  b.detail["bcc"] = b.bytes.back();
  nlohmann::json records = nlohmann::json::array();
  for (const Record& rec : r.records) {
    nlohmann::json j;
    j["id"] = rec.id;
    j["value"] = rec.value;
    if (rec.unit) j["unit"] = *rec.unit;
    if (auto n = rec.number()) j["number"] = n->to_string();
    records.push_back(std::move(j));
  }
  b.detail["records"] = std::move(records);
  return b;
}

core::Result<Mc66Built> Mc66Meter::data_string(char id, const HeatState& s) const {
  std::vector<Decimal> values;
  DataRequest request = DataRequest::standard_data_1;
  const Totals& t = s.totals;
  const Instant& v = s.now;
  switch (id) {
    case '1': {
      const Decimal peak = power_value(t.periods ? t.max_power_w : v.power_w,
                                       scale_.power.unit == "MW", scale_.power.exponent);
      values = {
          rolled(energy(s)), rolled(volume(s)), rolled(Decimal{false, t.operating_ds / 36000, 0}),
          centi(v.t1_cc),    centi(v.t2_cc),    centi(v.tdif_cc),
          rolled(power(s)),  rolled(flow(s)),   rolled(peak),
          fixed(0)};
      break;
    }
    case '2':
      request = DataRequest::standard_data_2;
      values = {fixed(static_cast<std::int64_t>(config_.customer)),
                fixed(0),
                fixed(0),
                fixed(0),
                fixed(0),
                fixed(0),
                fixed(0),
                fixed(config_.program.abccc_token()),
                fixed(config_.program.ddeffgg_token()),
                fixed(yymmdd(s.sim_ms))};
      break;
    case 'C':
      request = DataRequest::inst_values;
      values = {centi(v.t1_cc),
                centi(v.t3_cc),
                centi(v.t2_cc),
                fixed(0),
                fixed(0),
                rolled(flow(s)),
                rolled(flow_value(0, scale_.flow.unit == "m3/h", scale_.flow.exponent)),
                rolled(power(s))};
      break;
    default:
      return core::make_error(core::Errc::invalid_argument, std::string("no data string /#") + id);
  }
  auto text = core::iec::encode_reply(request, values, config_.program);
  if (!text) return text.error();
  Mc66Built b;
  b.bytes.assign(text->begin(), text->end());
  b.detail["step"] = std::string(core::iec::request_name(request));
  b.detail["request"] = std::string(core::iec::request_text(request));
  b.detail["text"] = text->substr(0, text->size() - 1);  // without the CR
  auto parsed = core::iec::parse_reply(request, b.bytes, config_.program);
  if (parsed) b.detail["values"] = reply_values_json(*parsed);
  return b;
}

nlohmann::json Mc66Meter::describe() const {
  nlohmann::json j;
  j["variant"] = config_.variant == Mc66Variant::c ? "mc66c" : "mc66b";
  j["ident"] = config_.ident;
  j["customer"] = config_.customer;
  j["program"] = config_.program.text();
  j["energy_unit"] = std::string(scale_.energy.unit);
  j["decimals"] = {{"energy", -scale_.energy.exponent},
                   {"volume", -scale_.volume.exponent},
                   {"flow", -scale_.flow.exponent},
                   {"power", -scale_.power.exponent}};
  return j;
}

}  // namespace ml::sim
