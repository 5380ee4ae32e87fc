// "gpio:CHIP:LINE" names one GPIO line for libgpiod: CHIP as libgpiod looks it up (gpiochip0,
// 0, /dev/gpiochip0, or a label), LINE the offset on that chip.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace ml::agent {

struct GpioSpec {
  std::string chip;
  unsigned line = 0;
};

inline std::optional<GpioSpec> parse_gpio_spec(std::string_view spec) {
  if (spec.substr(0, 5) != "gpio:") return std::nullopt;
  const std::string_view rest = spec.substr(5);
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return std::nullopt;
  }
  unsigned line = 0;
  const std::string_view digits = rest.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
  if (ec != std::errc() || end != digits.data() + digits.size() || line >= 1024) {
    return std::nullopt;
  }
  return GpioSpec{std::string(rest.substr(0, colon)), line};
}

}  // namespace ml::agent
