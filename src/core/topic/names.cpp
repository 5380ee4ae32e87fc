// The lookups and masking of the name tables (core/topic/names.hpp).
#include "core/topic/names.hpp"

#include <algorithm>
#include <string>

namespace ml::core::topic {

const FunctionInfo* find_device_function(std::string_view name) {
  for (const auto& f : kDeviceFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const CommandInfo* find_command(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name && c.over_mqtt()) return &c;
  }
  return nullptr;
}

const CommandInfo* find_cron_command(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name && c.from_cron()) return &c;
  }
  return nullptr;
}

std::string_view feature_name(Feature feature) {
  switch (feature) {
    case Feature::base:
      return "base";
    case Feature::valve:
      return "valve";
    case Feature::cron:
      return "cron";
    case Feature::access_point:
      return "access_point";
  }
  return "?";
}

std::string_view follow_up(std::string_view command) {
  const CommandInfo* c = find_command(command);
  return c != nullptr && c->confirmation.asked ? c->confirmation.function : std::string_view{};
}

std::string masked(Secret secret, std::string_view text) {
  if (secret == Secret::none) return std::string(text);
  if (secret == Secret::whole) return text.empty() ? std::string() : std::string(kMasked);
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto at = text.find("pwd=", i);
    if (at == std::string_view::npos) break;
    const bool starts_field = at == 0 || text[at - 1] == '&' || text[at - 1] == '=';
    const auto value = at + 4;
    if (!starts_field) {
      out.append(text.substr(i, value - i));
      i = value;
      continue;
    }
    auto end = text.find('&', value);
    if (end == std::string_view::npos) end = text.size();
    out.append(text.substr(i, value - i));
    if (end > value) out.append(kMasked);
    i = end;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

std::string masked_argument(std::string_view command, std::string_view argument) {
  const CommandInfo* c = find_command(command);
  return masked(c != nullptr ? c->secret : Secret::none, argument);
}

std::string masked_reply(std::string_view function, std::string_view text) {
  const FunctionInfo* f = find_device_function(function);
  return masked(f != nullptr ? f->secret : Secret::none, text);
}

}  // namespace ml::core::topic
