// QR codes as standalone SVG images, for what a person points a phone at: the otpauth:// key URI
// of staff two-factor enrolment (src/core/totp/totp.hpp) and, later, a login URL on a printed
// poster. A thin adapter over libqrencode, apart from ml_platform in its own library
// (ml_platform_qr) so that the agent, and its Raspberry Pi cross builds, never link libqrencode.
//
// - The text's bytes are encoded as they are (byte mode: no character set conversion, a NUL byte
//   is a byte), with error correction level M (15% of the symbol may be lost: a smudge on paper,
//   glare on a screen), in the smallest version (size) that holds them.
// - Bounded: 1 to kMaxTextBytes bytes (which level M always holds, in version 26 or below);
//   anything else, and a failure of libqrencode, is refused with Errc::invalid_argument and a
//   detail that begins "QR code: " and says what was wrong. The details never quote the text
//   (an otpauth:// URI carries a secret).
// - svg() writes one self-contained image: no script, no external reference, no font, and not
//   the text either (its label is "QR code"), so it can be served as image/svg+xml or inlined in
//   a page. A white background, the quiet zone the standard requires around the symbol (4 modules
//   by default), and ONE <path> for the dark modules, each horizontal run of them one
//   "M x y h n v1 h-n z" segment in module units (scaled by module_px), with crispEdges so no
//   anti-aliased seams appear between modules. The same text and options give the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::platform::qr {

// The longest text, in bytes.
inline constexpr std::size_t kMaxTextBytes = 1024;
// The bounds of SvgOptions.
inline constexpr int kMaxModulePx = 64;
inline constexpr int kMaxQuietModules = 16;

struct SvgOptions {
  int module_px = 4;      // the side of one module in pixels (width and height): 1..kMaxModulePx
  int quiet_modules = 4;  // the light margin around the symbol: 0..kMaxQuietModules
};

// The symbol as rows of modules, true for dark, without the quiet zone: 17 + 4 * version rows of
// as many modules (21 for version 1, 177 for version 40).
core::Result<std::vector<std::vector<bool>>> modules(std::string_view text);

// The symbol as an SVG document: viewBox "0 0 W W" and width and height W, where
// W = (rows + 2 * quiet_modules) * module_px. Refuses options out of their bounds.
core::Result<std::string> svg(std::string_view text, const SvgOptions& options = {});

}  // namespace ml::platform::qr
