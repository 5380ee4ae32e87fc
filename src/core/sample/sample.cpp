#include "core/sample/sample.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "core/ascii.hpp"
#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"

namespace ml::core::sample {
namespace {

using namespace std::string_view_literals;

constexpr std::array kKmpHeat = {"t1"sv,      "t2"sv, "tdif"sv, "flow1"sv,
                                 "effect1"sv, "hr"sv, "v1"sv,   "e1"sv};
constexpr std::array kKmpFlow = {"flow1"sv, "hr"sv, "v1"sv};
constexpr std::array kMc66c = {"program"sv, "t1"sv,      "t2"sv, "t3"sv, "tdif"sv,
                               "flow1"sv,   "effect1"sv, "hr"sv, "v1"sv, "e1"sv};
constexpr std::array kMc66b = {"program"sv, "t1"sv, "t2"sv, "tdif"sv, "flow1"sv,
                               "effect1"sv, "hr"sv, "v1"sv, "e1"sv};
constexpr std::array kMc66Flow = {"program"sv, "flow1"sv, "hr"sv, "v1"sv};
constexpr std::array kPulseElectricity = {"effect1"sv, "e1"sv, "hr"sv};
constexpr std::array kPulseWater = {"flow1"sv, "v1"sv, "hr"sv};

struct KindName {
  MeterKind kind;
  std::string_view name;
};
constexpr std::array kKindNames = {
    KindName{MeterKind::kmp, "kmp"},
    KindName{MeterKind::mc66c, "mc66c"},
    KindName{MeterKind::mc66b, "mc66b"},
    KindName{MeterKind::pulse_electricity, "pulse"},
    KindName{MeterKind::pulse_water, "pulse_water"},
};

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_unit_char(char c) {
  return c > ' ' && c <= '~' && c != '&' && c != '=';
}

Status normalize(SampleField& f) {
  if (!f.value) return Ok{};
  auto n = normalized(*f.value, f.unit);
  if (!n) {
    return make_error(Errc::sample_bad_value,
                      "key " + std::string(f.key) + ": " + quoted_excerpt(f.text) + " " +
                          std::string(f.unit) + " cannot be normalised: " + n.error().message());
  }
  if (*n) {
    f.normalized = (*n)->value;
    f.normalized_unit = (*n)->unit;
    f.normalized_exact = (*n)->exact;
  }
  return Ok{};
}

// Parses one field into f (a fresh SampleField; left half filled on an error). The texts of the
// errors are made only when there is one: a sample has a dozen fields, and thousands of samples
// arrive a second.
Status parse_field(std::string_view item, std::size_t index, SampleField& f) {
  auto where = [index] { return "field " + std::to_string(index + 1); };
  const std::size_t eq = item.find('=');
  if (eq == std::string_view::npos) {
    return make_error(Errc::sample_syntax, where() + " " + quoted_excerpt(item) + " has no '='");
  }
  const std::string_view key = item.substr(0, eq);
  if (key.empty() || key.size() > 31) {
    return make_error(
        Errc::sample_bad_key,
        where() + " has a key of " + std::to_string(key.size()) + " characters, allowed 1 to 31");
  }
  for (char c : key) {
    if (!is_key_char(c)) {
      return make_error(Errc::sample_bad_key, where() + " key " + quoted_excerpt(key) +
                                                  " may only hold a-z, 0-9 and '_'");
    }
  }
  f.key = key;
  std::string_view rest = item.substr(eq + 1);
  const std::size_t space = rest.find(' ');
  const std::string_view text = rest.substr(0, space);
  if (space != std::string_view::npos) {
    const std::string_view unit = rest.substr(space + 1);
    if (unit.empty() || unit.size() > 16) {
      return make_error(Errc::sample_bad_unit, "key " + std::string(key) + " has a unit of " +
                                                   std::to_string(unit.size()) +
                                                   " characters, allowed 1 to 16");
    }
    for (char c : unit) {
      if (!is_unit_char(c)) {
        return make_error(Errc::sample_bad_unit, "key " + std::string(key) + " unit " +
                                                     quoted_excerpt(unit) +
                                                     " holds a character that is not allowed");
      }
    }
    f.unit = unit;
  }
  if (text.empty()) {
    return make_error(Errc::sample_missing_value, "key " + std::string(key) + " has no value");
  }
  f.text = text;
  if (f.key == "program") {
    if (text.size() > 20 || text.find_first_not_of("0123456789") != std::string_view::npos) {
      return make_error(Errc::sample_bad_value,
                        "key program: " + quoted_excerpt(text) + " is not a program number");
    }
    return Ok{};
  }
  if (text == "NaN") return Ok{};  // what the 2026 firmware sends for an exponent above 9
  std::string_view digits = text;
  if (digits.size() > 1 && digits.back() == '.' && digits[digits.size() - 2] >= '0' &&
      digits[digits.size() - 2] <= '9' && digits.find('.') == digits.size() - 1) {
    // "949018.": the 2018 firmware lost the last digit (see SampleField::lost_digit).
    digits.remove_suffix(1);
    f.text = digits;
    f.lost_digit = true;
  }
  auto value = Decimal::parse(digits);
  if (!value) {
    return make_error(Errc::sample_bad_value,
                      "key " + std::string(key) + ": " + value.error().detail);
  }
  f.value = value.value();
  return normalize(f);
}

}  // namespace

Result<std::optional<Normalized>> normalized(const Decimal& value, std::string_view unit_text) {
  const auto unit = kmp::unit_by_text(unit_text);
  if (!unit || unit->factor_den == 0) return std::optional<Normalized>{};
  Normalized n;
  if (unit->quantity == kmp::Quantity::energy) {
    n.unit = "kWh";
  } else if (unit->quantity == kmp::Quantity::volume) {
    n.unit = "m3";
  } else {
    return std::optional<Normalized>{};
  }
  auto v = value.multiplied(unit->factor_num, unit->factor_den,
                            std::max(kNormalizedDecimals, value.decimals()), &n.exact);
  if (!v) return v.error();
  n.value = *v;
  return std::optional<Normalized>{n};
}

std::string_view meter_kind_name(MeterKind kind) {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "";
}

std::optional<MeterKind> meter_kind_from_name(std::string_view name) {
  for (const auto& k : kKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::span<const std::string_view> sample_keys(MeterKind kind, bool flow_meter) {
  switch (kind) {
    case MeterKind::kmp:
      return flow_meter ? std::span<const std::string_view>(kKmpFlow) : kKmpHeat;
    case MeterKind::mc66c:
      return flow_meter ? std::span<const std::string_view>(kMc66Flow) : kMc66c;
    case MeterKind::mc66b:
      return flow_meter ? std::span<const std::string_view>(kMc66Flow) : kMc66b;
    case MeterKind::pulse_electricity:
      return kPulseElectricity;
    case MeterKind::pulse_water:
      return kPulseWater;
  }
  return {};
}

Result<std::string> format_sample(const Reading& r) {
  std::string out = "heap=" + std::to_string(r.heap) + "&";
  for (std::string_view key : sample_keys(r.kind, r.flow_meter)) {
    if (key == "program") {
      if (r.program.empty()) {
        return make_error(Errc::sample_missing_value, "the program number is missing");
      }
      out += "program=" + r.program + "&";
      continue;
    }
    const auto it = r.values.find(key);
    if (it == r.values.end()) {
      return make_error(Errc::sample_missing_value, "no value for " + std::string(key) + " (a " +
                                                        std::string(meter_kind_name(r.kind)) +
                                                        " sample needs it)");
    }
    out += std::string(key) + "=" + it->second.value.to_string();
    if (!it->second.unit.empty()) out += " " + it->second.unit;
    out += "&";
  }
  return out;
}

Reading reading_from_kmp(std::span<const kmp::RegisterValue> registers, bool flow_meter) {
  Reading r;
  r.kind = MeterKind::kmp;
  r.flow_meter = flow_meter;
  for (const kmp::RegisterValue& v : registers) {
    const auto info = kmp::register_by_id(v.id);
    if (!info || info->sample_key.empty()) continue;
    const auto unit = kmp::unit_by_code(v.unit);
    r.values[std::string(info->sample_key)] = {v.value, unit ? std::string(unit->text) : ""};
  }
  return r;
}

Result<Reading> reading_from_mc66(const Mc66Cycle& cycle, MeterKind kind, bool flow_meter) {
  if (kind != MeterKind::mc66c && kind != MeterKind::mc66b) {
    return make_error(Errc::invalid_argument, "reading_from_mc66 needs kind mc66c or mc66b");
  }
  const bool needs_inst = kind == MeterKind::mc66c && !flow_meter;
  std::string missing;
  if (!cycle.readout) missing += " data-readout";
  if (!cycle.standard_data_1) missing += " /#1";
  if (!cycle.standard_data_2) missing += " /#2";
  if (needs_inst && !cycle.inst_values) missing += " /#C";
  if (!missing.empty()) return make_error(Errc::sample_missing_value, "missing:" + missing);

  Reading r;
  r.kind = kind;
  r.flow_meter = flow_meter;
  const iec::HeatValues& h = *cycle.readout;
  if (h.serial) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "%07u", *h.serial);
    r.serial = serial;
  }
  const std::pair<const char*, const std::optional<iec::ReadoutQuantity>*> readout_values[] = {
      {"e1", &h.e1}, {"v1", &h.v1}, {"hr", &h.hr}};
  for (const auto& [key, q] : readout_values) {
    if (q->has_value()) r.values[key] = {(*q)->value, (*q)->unit};
  }
  auto take = [&r](const iec::Mc66Reply& reply, std::string_view name) {
    if (const iec::Mc66Value* v = reply.find(name)) {
      r.values[std::string(name)] = {v->value, std::string(v->unit)};
    }
  };
  for (std::string_view name : {"t1", "t2", "tdif", "effect1", "flow1"}) {
    take(*cycle.standard_data_1, name);
  }
  if (cycle.inst_values && kind == MeterKind::mc66c) take(*cycle.inst_values, "t3");
  if (cycle.standard_data_2->program) r.program = cycle.standard_data_2->program->text();
  return r;
}

ParsedSample::ParsedSample(const ParsedSample& other) : raw_(other.raw_), fields_(other.fields_) {
  rebase(other.raw_.data());
}

ParsedSample::ParsedSample(ParsedSample&& other) noexcept {
  *this = std::move(other);
}

ParsedSample& ParsedSample::operator=(const ParsedSample& other) {
  if (this != &other) *this = ParsedSample(other);
  return *this;
}

ParsedSample& ParsedSample::operator=(ParsedSample&& other) noexcept {
  if (this == &other) return *this;
  // A long text's buffer moves with it; a short one (kept inside the string) is copied.
  const char* old = other.raw_.data();
  raw_ = std::move(other.raw_);
  fields_ = std::move(other.fields_);
  rebase(old);
  other.raw_.clear();
  other.fields_.clear();
  return *this;
}

void ParsedSample::rebase(const char* old) {
  if (old == raw_.data()) return;
  const auto start = reinterpret_cast<std::uintptr_t>(old);
  const auto end = start + raw_.size();
  auto follow = [&](std::string_view& view) {
    const auto at = reinterpret_cast<std::uintptr_t>(view.data());
    if (at < start || at > end) return;  // not into the old text: empty, or a constant
    view = std::string_view(raw_.data() + (at - start), view.size());
  };
  for (SampleField& f : fields_) {
    follow(f.key);
    follow(f.text);
    follow(f.unit);
  }
}

const SampleField* ParsedSample::find(std::string_view key) const {
  for (const SampleField& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string ParsedSample::quirks() const {
  std::string keys;
  for (const SampleField& f : fields_) {
    if (!f.lost_digit) continue;
    if (!keys.empty()) keys += ',';
    keys += f.key;
  }
  return keys.empty() ? keys : "lost_digit:" + keys;
}

Result<ParsedSample> parse_sample(std::string_view text) {
  if (text.size() > kMaxSampleText) {
    return make_error(Errc::sample_too_long, std::to_string(text.size()) + " bytes, at most " +
                                                 std::to_string(kMaxSampleText));
  }
  if (text.empty() || text == "&") return make_error(Errc::sample_syntax, "empty sample");
  ParsedSample out;
  out.raw_ = text;
  // The fields are views into the sample's own copy of the text.
  std::string_view rest = out.raw_;
  if (rest.back() == '&') rest.remove_suffix(1);
  // One allocation for the fields (growing the vector field by field was a fifth of ingest's
  // time on a file of duplicates); past the limit the loop below rejects the text.
  out.fields_.reserve(std::min<std::size_t>(
      static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '&')) + 1, kMaxSampleFields));
  std::size_t index = 0;
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    if (item.empty()) {
      return make_error(Errc::sample_syntax, "field " + std::to_string(index + 1) + " is empty");
    }
    if (index == kMaxSampleFields) {
      return make_error(Errc::sample_too_long,
                        "more than " + std::to_string(kMaxSampleFields) + " fields");
    }
    SampleField& field = out.fields_.emplace_back();
    ML_TRY(parse_field(item, index, field));
    for (std::size_t i = 0; i + 1 < out.fields_.size(); ++i) {
      if (out.fields_[i].key == field.key) {
        return make_error(Errc::sample_duplicate_key,
                          "key " + std::string(field.key) + " appears twice");
      }
    }
    ++index;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace ml::core::sample
