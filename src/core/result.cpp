#include "core/result.hpp"

#include <array>

namespace ml::core {
namespace {

struct ErrcInfo {
  std::string_view name;
  std::string_view text;
};

constexpr std::array kErrcInfo = {
#define ML_CORE_ERRC_INFO(name, text) ErrcInfo{#name, text},
    ML_CORE_ERRORS(ML_CORE_ERRC_INFO)
#undef ML_CORE_ERRC_INFO
};

}  // namespace

std::string_view errc_name(Errc code) {
  return kErrcInfo.at(static_cast<std::size_t>(code)).name;
}

std::string_view errc_text(Errc code) {
  return kErrcInfo.at(static_cast<std::size_t>(code)).text;
}

std::string Error::message() const {
  std::string out(errc_text(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace ml::core
