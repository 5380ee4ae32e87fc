#include "core/iec62056/mc66.hpp"

#include <cstdio>

namespace ml::core::iec {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (const char ch : s.substr(0, 40)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7E) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Value of a run of at most 18 digits.
std::uint64_t digits_value(std::string_view digits) {
  std::uint64_t v = 0;
  for (const char c : digits)
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

std::uint8_t digit_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i] - '0');
}

std::uint8_t two_digits(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(digit_at(s, i) * 10 + digit_at(s, i + 1));
}

std::uint16_t three_digits(std::string_view s, std::size_t i) {
  return static_cast<std::uint16_t>(digit_at(s, i) * 100 + digit_at(s, i + 1) * 10 +
                                    digit_at(s, i + 2));
}

// Fills a, b, ccc from "ABCCC" and dd, e, ff, gg from "DDEFFGG".
void set_abccc(ProgramNumber& p, std::string_view abccc) {
  p.a = digit_at(abccc, 0);
  p.b = digit_at(abccc, 1);
  p.ccc = three_digits(abccc, 2);
}

void set_ddeffgg(ProgramNumber& p, std::string_view ddeffgg) {
  p.has_ddeffgg = true;
  p.dd = two_digits(ddeffgg, 0);
  p.e = digit_at(ddeffgg, 2);
  p.ff = two_digits(ddeffgg, 3);
  p.gg = two_digits(ddeffgg, 5);
}

std::string pad(std::uint64_t v, std::size_t width) {
  std::string s = std::to_string(v);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

constexpr std::uint64_t kPow10[] = {1ULL,
                                    10ULL,
                                    100ULL,
                                    1000ULL,
                                    10000ULL,
                                    100000ULL,
                                    1000000ULL,
                                    10000000ULL,
                                    100000000ULL,
                                    1000000000ULL,
                                    10000000000ULL,
                                    100000000000ULL,
                                    1000000000000ULL,
                                    10000000000000ULL,
                                    100000000000000ULL,
                                    1000000000000000ULL,
                                    10000000000000000ULL,
                                    100000000000000000ULL,
                                    1000000000000000000ULL};

// The value as an integer number of counts of 10^exponent, when exact.
Result<std::int64_t> to_count(const Decimal& value, std::int32_t exponent, std::string_view name) {
  const std::int64_t shift = static_cast<std::int64_t>(value.exponent) - exponent;
  std::uint64_t m = value.mantissa;
  if (shift >= 0) {
    if (m != 0) {
      if (shift > 18 || m > static_cast<std::uint64_t>(INT64_MAX) / kPow10[shift]) {
        return make_error(Errc::invalid_argument,
                          std::string(name) + " " + value.to_string() + " is too large");
      }
      m *= kPow10[shift];
    }
  } else {
    if (m != 0) {
      if (-shift > 18 || m % kPow10[-shift] != 0) {
        return make_error(Errc::invalid_argument,
                          std::string(name) + " " + value.to_string() + " has more than " +
                              std::to_string(exponent < 0 ? -exponent : 0) +
                              " decimals (counts of 1e" + std::to_string(exponent) + ")");
      }
      m /= kPow10[-shift];
    }
  }
  if (m > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(Errc::invalid_argument,
                      std::string(name) + " " + value.to_string() + " is too large");
  }
  const auto count = static_cast<std::int64_t>(m);
  return value.negative ? -count : count;
}

}  // namespace

const FlowMeterCode* find_flow_meter_code(std::uint16_t ccc) {
  for (const FlowMeterCode& row : kFlowMeterCodes) {
    if (row.ccc == ccc) return &row;
  }
  return nullptr;
}

std::string_view energy_unit(std::uint8_t b) {
  for (const EnergyUnitCode& u : kEnergyUnits) {
    if (u.b == b) return u.unit;
  }
  return {};
}

std::string ProgramNumber::text() const {
  std::string out = std::to_string(a % 10) + std::to_string(b % 10) + pad(ccc % 1000, 3);
  if (has_ddeffgg) {
    out += pad(dd % 100, 2) + std::to_string(e % 10) + pad(ff % 100, 2) + pad(gg % 100, 2);
  }
  return out;
}

std::uint32_t ProgramNumber::abccc_token() const {
  return static_cast<std::uint32_t>(xx % 100) * 100000u +
         static_cast<std::uint32_t>(a % 10) * 10000u + static_cast<std::uint32_t>(b % 10) * 1000u +
         static_cast<std::uint32_t>(ccc % 1000);
}

std::uint32_t ProgramNumber::ddeffgg_token() const {
  return static_cast<std::uint32_t>(dd % 100) * 100000u +
         static_cast<std::uint32_t>(e % 10) * 10000u + static_cast<std::uint32_t>(ff % 100) * 100u +
         static_cast<std::uint32_t>(gg % 100);
}

Result<ProgramNumber> parse_program_number(std::string_view text) {
  if (text.size() > 40) {
    return make_error(Errc::iec_bad_reply, "program number " + quoted(text) + " is too long");
  }
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      digits += c;
    } else if ((c == '-' || c == ' ') && !digits.empty() && i + 1 < text.size() &&
               is_digit(text[i + 1])) {
      continue;
    } else {
      return make_error(Errc::iec_bad_reply,
                        "program number " + quoted(text) + " has an unexpected " + quoted({&c, 1}));
    }
  }
  ProgramNumber p;
  std::string_view d = digits;
  switch (d.size()) {
    case 5:
      set_abccc(p, d);
      return p;
    case 7:
      p.xx = two_digits(d, 0);
      set_abccc(p, d.substr(2));
      return p;
    case 12:
      set_abccc(p, d);
      set_ddeffgg(p, d.substr(5));
      return p;
    case 14:
      p.xx = two_digits(d, 0);
      set_abccc(p, d.substr(2));
      set_ddeffgg(p, d.substr(7));
      return p;
    default:
      return make_error(Errc::iec_bad_reply,
                        "program number " + quoted(text) + " has " + std::to_string(d.size()) +
                            " digits, expected 5 (ABCCC), 7 (xxABCCC), 12 (ABCCCDDEFFGG) or 14");
  }
}

Result<ProgramNumber> program_from_tokens(std::string_view abccc, std::string_view ddeffgg) {
  auto seven_digits = [](std::string_view t) {
    if (t.size() != 7) return false;
    for (const char c : t) {
      if (!is_digit(c)) return false;
    }
    return true;
  };
  if (!seven_digits(abccc)) {
    return make_error(Errc::iec_bad_reply,
                      "program token xxABCCC " + quoted(abccc) + " is not 7 digits");
  }
  if (!seven_digits(ddeffgg)) {
    return make_error(Errc::iec_bad_reply,
                      "program token DDEFFGG " + quoted(ddeffgg) + " is not 7 digits");
  }
  ProgramNumber p;
  p.xx = two_digits(abccc, 0);
  set_abccc(p, abccc.substr(2));
  set_ddeffgg(p, ddeffgg);
  return p;
}

std::string_view scaling_name(Scaling scaling) {
  return scaling == Scaling::program ? "program" : "fallback";
}

std::string_view placement_name(Placement placement) {
  switch (placement) {
    case Placement::fixed:
      return "fixed";
    case Placement::program:
      return "program";
    case Placement::fallback:
      return "fallback";
    case Placement::unscaled:
      return "unscaled";
  }
  return "unscaled";
}

Scale scale_for(const std::optional<ProgramNumber>& program) {
  Scale s;
  // The original firmware's fixed scaling (docs/protocols/en61107.md, "Fallback"); energy and
  // volume have no such rule.
  s.energy = {0, program ? energy_unit(program->b) : std::string_view{}, Placement::unscaled};
  s.volume = {0, "m3", Placement::unscaled};
  s.flow = {0, "l/h", Placement::fallback};
  s.power = {-1, "kW", Placement::fallback};
  if (!program) {
    s.reason = "no program number";
    return s;
  }
  const std::string ccc_text = "CCC " + pad(program->ccc % 1000, 3);
  const FlowMeterCode* row = find_flow_meter_code(program->ccc);
  if (!row) {
    s.reason = "flow-meter code " + ccc_text + " is not in the decimals table";
    return s;
  }
  const std::string_view unit = energy_unit(program->b);
  if (unit.empty()) {
    s.reason = "energy unit B=" + std::to_string(program->b) +
               " is not one of 2 (GJ), 3 (kWh), 4 (MWh), 5 (Gcal)";
    return s;
  }
  std::int8_t energy_exp = kNotUsed;
  switch (program->b) {
    case 2:
      energy_exp = row->gj;
      break;
    case 3:
      energy_exp = row->kwh;
      break;
    default:
      energy_exp = row->mwh_gcal;
      break;
  }
  if (energy_exp == kNotUsed) {
    s.reason = "flow-meter code " + ccc_text + " is not used with " + std::string(unit);
    return s;
  }
  s.scaling = Scaling::program;
  s.energy = {energy_exp, unit, Placement::program};
  s.volume = {row->m3, "m3", Placement::program};
  s.flow = row->l_per_h != kNotUsed ? ValueScale{row->l_per_h, "l/h", Placement::program}
                                    : ValueScale{row->m3_per_h, "m3/h", Placement::program};
  s.power = row->kw != kNotUsed ? ValueScale{row->kw, "kW", Placement::program}
                                : ValueScale{row->mw, "MW", Placement::program};
  return s;
}

std::string_view request_text(Mc66Request request) {
  switch (request) {
    case Mc66Request::standard_data_1:
      return "/#1";
    case Mc66Request::standard_data_2:
      return "/#2";
    case Mc66Request::inst_values:
      return "/#C";
  }
  return "/#1";
}

std::string_view request_name(Mc66Request request) {
  switch (request) {
    case Mc66Request::standard_data_1:
      return "standard data 1";
    case Mc66Request::standard_data_2:
      return "standard data 2";
    case Mc66Request::inst_values:
      return "inst. values";
  }
  return "standard data 1";
}

std::span<const FieldSpec> reply_fields(Mc66Request request) {
  switch (request) {
    case Mc66Request::standard_data_1:
      return kStandardData1Fields;
    case Mc66Request::standard_data_2:
      return kStandardData2Fields;
    case Mc66Request::inst_values:
      return kInstValuesFields;
  }
  return kStandardData1Fields;
}

ValueScale field_scale(FieldKind kind, const Scale& scale) {
  switch (kind) {
    case FieldKind::energy:
      return scale.energy;
    case FieldKind::volume:
      return scale.volume;
    case FieldKind::flow:
      return scale.flow;
    case FieldKind::power:
      return scale.power;
    case FieldKind::hours:
      return {0, "h", Placement::fixed};
    case FieldKind::temperature:
      return {-2, "C", Placement::fixed};
    case FieldKind::integer:
    case FieldKind::customer:
      return {0, "", Placement::fixed};
    case FieldKind::unscaled:
      return {0, "", Placement::unscaled};
  }
  return {0, "", Placement::unscaled};
}

const Mc66Value* Mc66Reply::find(std::string_view name) const {
  for (const Mc66Value& v : values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

Result<Mc66Reply> parse_reply(Mc66Request request, ByteView bytes,
                              const std::optional<ProgramNumber>& program) {
  const std::string what =
      std::string(request_name(request)) + " (" + std::string(request_text(request)) + ")";
  if (bytes.size() > kMaxReplyBytes) {
    return make_error(Errc::iec_too_long, what + " reply of " + std::to_string(bytes.size()) +
                                              " bytes, at most " + std::to_string(kMaxReplyBytes));
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty() || text.back() != '\r') {
    return make_error(Errc::iec_bad_reply, what + " reply does not end with CR");
  }
  text.remove_suffix(1);
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (!is_digit(c) && c != '-' && c != ' ') {
      return make_error(Errc::iec_bad_reply, what + " reply has the unexpected byte " +
                                                 quoted({&c, 1}) + " at offset " +
                                                 std::to_string(k));
    }
  }
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ')
      ++i;
    const std::string_view token = text.substr(start, i - start);
    const std::string label = "token " + std::to_string(tokens.size() + 1) + " " + quoted(token);
    if (tokens.size() == kMaxReplyTokens) {
      return make_error(Errc::iec_too_long, what + " reply has more than " +
                                                std::to_string(kMaxReplyTokens) + " tokens");
    }
    if (token.size() > kMaxTokenChars) {
      return make_error(Errc::iec_bad_reply, what + " " + label + " is longer than " +
                                                 std::to_string(kMaxTokenChars) + " characters");
    }
    const std::string_view digits = token.front() == '-' ? token.substr(1) : token;
    bool ok = !digits.empty();
    for (const char d : digits)
      ok = ok && is_digit(d);
    if (!ok) {
      return make_error(Errc::iec_bad_reply, what + " " + label + " is not a number");
    }
    tokens.push_back(token);
  }
  const std::span<const FieldSpec> fields = reply_fields(request);
  if (tokens.size() < fields.size()) {
    return make_error(Errc::iec_bad_reply, what + " reply has " + std::to_string(tokens.size()) +
                                               " tokens, expected " +
                                               std::to_string(fields.size()));
  }

  Mc66Reply out;
  out.request = request;
  out.program = program;
  if (request == Mc66Request::standard_data_2) {
    auto p = program_from_tokens(tokens[7], tokens[8]);
    if (!p) return make_error(Errc::iec_bad_reply, what + ": " + p.error().detail);
    out.program = *p;
  }
  const Scale scale = scale_for(out.program);
  out.scaling = scale.scaling;
  out.fallback_reason = scale.reason;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    const FieldSpec& f = fields[k];
    const std::string_view token = tokens[k];
    const std::string label =
        "token " + std::to_string(k + 1) + " (" + std::string(f.name) + ") " + quoted(token);
    if (token.size() > f.digits) {
      return make_error(Errc::iec_bad_reply, what + " " + label + " is longer than " +
                                                 std::to_string(f.digits) + " characters");
    }
    const bool negative = token.front() == '-';
    const std::uint64_t magnitude = digits_value(negative ? token.substr(1) : token);
    if (f.kind == FieldKind::customer) {
      if (negative) return make_error(Errc::iec_bad_reply, what + " " + label + " is negative");
      out.customer = magnitude;
    }
    const ValueScale vs = field_scale(f.kind, scale);
    Mc66Value v;
    v.name = f.name;
    v.token = std::string(token);
    v.value = Decimal{negative && magnitude != 0, magnitude, vs.exponent};
    v.unit = vs.unit;
    v.placement = vs.placement;
    out.values.push_back(std::move(v));
  }
  for (std::size_t k = fields.size(); k < tokens.size(); ++k) {
    out.extra_tokens.emplace_back(tokens[k]);
  }
  return out;
}

Result<std::string> encode_token(std::int64_t count, std::uint8_t digits) {
  if (digits == 0 || digits > 18)
    return make_error(Errc::invalid_argument, "token width out of range");
  if (count >= 0) {
    if (static_cast<std::uint64_t>(count) >= kPow10[digits]) {
      return make_error(Errc::invalid_argument, std::to_string(count) + " does not fit " +
                                                    std::to_string(digits) + " digits");
    }
    return pad(static_cast<std::uint64_t>(count), digits);
  }
  const std::uint64_t magnitude = static_cast<std::uint64_t>(-(count + 1)) + 1;
  if (magnitude >= kPow10[digits - 1]) {
    return make_error(Errc::invalid_argument, std::to_string(count) + " does not fit " +
                                                  std::to_string(digits) + " characters");
  }
  return "-" + pad(magnitude, digits - 1u);
}

Result<std::string> encode_reply(Mc66Request request, std::span<const Decimal> values,
                                 const std::optional<ProgramNumber>& program) {
  const std::span<const FieldSpec> fields = reply_fields(request);
  if (values.size() != fields.size()) {
    return make_error(Errc::invalid_argument, std::string(request_text(request)) + " takes " +
                                                  std::to_string(fields.size()) + " values, got " +
                                                  std::to_string(values.size()));
  }
  const Scale scale = scale_for(program);
  std::string out;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    const FieldSpec& f = fields[k];
    const ValueScale vs = field_scale(f.kind, scale);
    auto count = to_count(values[k], vs.exponent, f.name);
    if (!count) return count.error();
    if (f.kind == FieldKind::customer && *count < 0) {
      return make_error(Errc::invalid_argument, "customer number is negative");
    }
    auto token = encode_token(*count, f.digits);
    if (!token) {
      return make_error(Errc::invalid_argument, std::string(f.name) + " " + values[k].to_string() +
                                                    ": " + token.error().detail);
    }
    if (k > 0) out += ' ';
    out += *token;
  }
  out += '\r';
  return out;
}

}  // namespace ml::core::iec
