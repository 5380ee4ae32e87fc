#include "platform/qr/qr.hpp"

#include <qrencode.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace ml::platform::qr {
namespace {

struct QrcodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrcodePtr = std::unique_ptr<QRcode, QrcodeFree>;

core::Error refuse(std::string detail) {
  return core::make_error(core::Errc::invalid_argument, "QR code: " + std::move(detail));
}

// libqrencode's reasons (errno after a NULL return), in the caller's words.
std::string encode_failure(int error) {
  switch (error) {
    case EINVAL:
      return "libqrencode refused its input (EINVAL)";
    case ERANGE:
      return "the text does not fit in the largest QR code (ERANGE)";
    case ENOMEM:
      return "libqrencode ran out of memory (ENOMEM)";
    case 0:
      return "libqrencode failed without a reason";
    default:
      return "libqrencode failed: " + std::generic_category().message(error);
  }
}

}  // namespace

core::Result<std::vector<std::vector<bool>>> modules(std::string_view text) {
  if (text.empty()) return refuse("the text is empty");
  if (text.size() > kMaxTextBytes) {
    return refuse("the text is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                  std::to_string(kMaxTextBytes));
  }
  // QRcode_encodeData: byte mode for any bytes (QRcode_encodeString8bit would stop at a NUL);
  // version 0: the smallest that holds them.
  errno = 0;
  const QrcodePtr code(QRcode_encodeData(static_cast<int>(text.size()),
                                         reinterpret_cast<const unsigned char*>(text.data()), 0,
                                         QR_ECLEVEL_M));
  if (!code) {
    const int error = errno;
    return refuse("cannot encode " + std::to_string(text.size()) +
                  " bytes: " + encode_failure(error));
  }
  const int width = code->width;
  if (code->data == nullptr || code->version < 1 || code->version > 40 ||
      width != 17 + 4 * code->version) {
    return refuse("libqrencode returned a symbol of version " + std::to_string(code->version) +
                  " and width " + std::to_string(width));
  }
  const auto n = static_cast<std::size_t>(width);
  std::vector<std::vector<bool>> rows(n, std::vector<bool>(n));
  for (std::size_t y = 0; y < n; ++y) {
    for (std::size_t x = 0; x < n; ++x) {
      // Bit 0 is the colour; the other bits say what the module is part of.
      rows[y][x] = (code->data[y * n + x] & 1U) != 0;
    }
  }
  return rows;
}

core::Result<std::string> svg(std::string_view text, const SvgOptions& options) {
  if (options.module_px < 1 || options.module_px > kMaxModulePx) {
    return refuse("module_px is " + std::to_string(options.module_px) + ", not 1 to " +
                  std::to_string(kMaxModulePx));
  }
  if (options.quiet_modules < 0 || options.quiet_modules > kMaxQuietModules) {
    return refuse("quiet_modules is " + std::to_string(options.quiet_modules) + ", not 0 to " +
                  std::to_string(kMaxQuietModules));
  }
  auto rows = modules(text);
  if (!rows) return rows.error();
  const std::size_t n = rows->size();
  const int quiet = options.quiet_modules;
  const std::string side = std::to_string((static_cast<int>(n) + 2 * quiet) * options.module_px);

  // One segment per horizontal run of dark modules, in module units: "M x y h n v1 h-n z".
  std::string d;
  for (std::size_t y = 0; y < n; ++y) {
    const std::vector<bool>& row = (*rows)[y];
    for (std::size_t x = 0; x < n;) {
      if (!row[x]) {
        ++x;
        continue;
      }
      std::size_t end = x + 1;
      while (end < n && row[end])
        ++end;
      const std::string run = std::to_string(end - x);
      d += 'M';
      d += std::to_string(static_cast<int>(x) + quiet);
      d += ' ';
      d += std::to_string(static_cast<int>(y) + quiet);
      d += 'h' + run + "v1h-" + run + 'z';
      x = end;
    }
  }

  std::string out;
  out.reserve(d.size() + 300);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + ' ' + side +
         "\" width=\"" + side + "\" height=\"" + side +
         "\" role=\"img\" aria-label=\"QR code\" shape-rendering=\"crispEdges\">";
  out += "<rect width=\"" + side + "\" height=\"" + side + "\" fill=\"#fff\"/>";
  out += "<path transform=\"scale(" + std::to_string(options.module_px) + ")\" fill=\"#000\" d=\"" +
         d + "\"/>";
  out += "</svg>\n";
  return out;
}

}  // namespace ml::platform::qr
