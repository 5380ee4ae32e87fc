// Fuzz target: the parsers of two-factor login (src/core/totp/totp.hpp): Base32, a typed code
// and a typed recovery code, each fed the whole input.
// Invariants: an accepted Base32 text decodes to bytes that encode back to its letters (upper
// case, without spaces and padding), and any bytes encode to a text that decodes back to them;
// an accepted code is 6 digits, the input's digits in order, and verify() refuses exactly what
// parse_code refuses, with its detail; an accepted recovery code is 10 characters of the
// alphabet, and normalising it again gives the same; the first 7 bytes format to a code that
// normalises to its characters; every refusal names its parser at the start of its detail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "core/totp/totp.hpp"

using namespace ml::core;
using namespace ml::core::totp;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ByteView bytes(data, size);

  if (auto b = base32_decode(text); b.ok()) {
    if (size > kMaxBase32Text) std::abort();
    std::string letters;
    for (const char c : text) {
      if (c == ' ' || c == '=') continue;
      letters += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    if (base32_encode(*b) != letters) std::abort();
  } else if (!starts_with(b.error().detail, "Base32: ")) {
    std::abort();
  }
  if (size <= 150) {
    auto back = base32_decode(base32_encode(bytes));
    if (!back || *back != Bytes(bytes.begin(), bytes.end())) std::abort();
  }

  static const Bytes kSecret(kSecretBytes, 0x5A);
  auto code = parse_code(text);
  auto verified = verify(kSecret, text, 1700000000, kNoStepUsed);
  if (code.ok()) {
    if (size > kMaxCodeText || code->size() != 6) std::abort();
    std::string digits;
    for (const char c : text) {
      if (c != ' ') digits += c;
    }
    if (digits != *code) std::abort();
    for (const char c : *code) {
      if (c < '0' || c > '9') std::abort();
    }
    if (!verified.ok() && verified.error().detail != kRefusedWrongCode) std::abort();
  } else {
    if (!starts_with(code.error().detail, "code: ")) std::abort();
    if (verified.ok() || verified.error().detail != code.error().detail) std::abort();
  }

  if (auto r = normalize_recovery_code(text); r.ok()) {
    if (size > kMaxRecoveryCodeText || r->size() != kRecoveryCodeChars) std::abort();
    for (const char c : *r) {
      if (kRecoveryAlphabet.find(c) == std::string_view::npos) std::abort();
    }
    auto again = normalize_recovery_code(*r);
    if (!again || *again != *r) std::abort();
  } else if (!starts_with(r.error().detail, "recovery code: ")) {
    std::abort();
  }
  if (size >= kRecoveryCodeRandomBytes) {
    const std::string shown = format_recovery_code(
        std::span<const std::uint8_t, kRecoveryCodeRandomBytes>(data, kRecoveryCodeRandomBytes));
    auto n = normalize_recovery_code(shown);
    if (!n || shown.size() != 11 || *n != shown.substr(0, 5) + shown.substr(6)) std::abort();
  }
  return 0;
}
