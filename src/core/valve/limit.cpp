#include "core/valve/limit.hpp"

namespace ml::core::valve {

Result<Decimal> parse_amount(std::string_view text) {
  if (text.size() > 16) {
    return make_error(Errc::valve_bad_amount, "more than 16 characters");
  }
  if (text.empty()) return make_error(Errc::valve_bad_amount, "empty");
  auto d = Decimal::parse(text);
  if (!d) {
    return make_error(Errc::valve_bad_amount,
                      "'" + std::string(text) + "' is not a decimal number");
  }
  if (d->negative && !d->is_zero()) {
    return make_error(Errc::valve_negative, "'" + std::string(text) + "' is negative");
  }
  if (d->decimals() > 3) {
    return make_error(Errc::valve_bad_amount,
                      "'" + std::string(text) + "' has more than 3 decimals");
  }
  d->negative = false;
  return *d;
}

std::optional<Decimal> metered(const sample::Reading& reading) {
  const char* key = reading.flow_meter ? "v1" : "e1";
  auto it = reading.values.find(key);
  if (it == reading.values.end()) return std::nullopt;
  auto n = sample::normalized(it->second.value, it->second.unit);
  if (!n || !*n) return std::nullopt;
  if ((**n).unit != (reading.flow_meter ? "m3" : "kWh")) return std::nullopt;
  return (**n).value;
}

bool limit_reached(const Decimal& metered_value, const Decimal& limit) {
  return compare(metered_value, limit) >= 0;
}

std::string reply_text(const Decimal& amount, bool flow_meter) {
  if (amount.negative && !amount.is_zero()) return flow_meter ? "0.000" : "0";
  std::string text = amount.to_string();
  if (!text.empty() && text[0] == '-') text.erase(0, 1);
  const std::size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  if (!flow_meter) return whole;
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  fraction.resize(3, '0');
  return whole + "." + fraction;
}

}  // namespace ml::core::valve
