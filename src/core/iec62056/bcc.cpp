#include "core/iec62056/bcc.hpp"

namespace ml::core::iec {

std::string_view bcc_method_name(BccMethod method) {
  return method == BccMethod::xor_ ? "xor" : "kamstrup-sum";
}

std::optional<BccMethod> bcc_method_from_name(std::string_view name) {
  if (name == "kamstrup-sum" || name == "sum") return BccMethod::kamstrup_sum;
  if (name == "xor") return BccMethod::xor_;
  return std::nullopt;
}

std::uint8_t compute_bcc(ByteView block, BccMethod method) {
  std::uint8_t bcc = 0;
  for (const std::uint8_t byte : block) {
    if (method == BccMethod::xor_) {
      bcc = static_cast<std::uint8_t>(bcc ^ byte);
    } else {
      bcc = static_cast<std::uint8_t>((bcc + byte) & 0x7F);
    }
  }
  return bcc;
}

}  // namespace ml::core::iec
