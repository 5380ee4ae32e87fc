// HOTP/TOTP, Base32, the key URI and recovery codes for staff two-factor login (totp.hpp).
#include "core/totp/totp.hpp"

// HMAC() is OpenSSL's one-shot HMAC (not deprecated in OpenSSL 3). Unlike the envelope's
// hand-built HMAC-SHA256 it fetches SHA-1 through the default provider (about 1.8 MiB of memory,
// envelope.cpp), once, in the process that first verifies a code: only the server does.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>

#include "core/ascii.hpp"

namespace ml::core::totp {
namespace {

Error invalid(std::string detail) {
  return make_error(Errc::invalid_argument, std::move(detail));
}

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The value of a Base32 character (either case), -1 if it is not one.
int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// The value of a recovery code character as Crockford reads it, -1 if it is not one.
int recovery_value(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') c = '1';
  if (c == 'O') c = '0';
  const auto at = kRecoveryAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

constexpr std::uint32_t kPowersOfTen[] = {1,      10,      100,      1000,      10000,
                                          100000, 1000000, 10000000, 100000000, 1000000000};

}  // namespace

// --- secrets ------------------------------------------------------------------------------------

Status check_secret(ByteView secret) {
  if (secret.size() < kMinSecretBytes || secret.size() > kMaxSecretBytes) {
    return invalid("TOTP secret: " + std::to_string(secret.size()) + " bytes, not " +
                   std::to_string(kMinSecretBytes) + " to " + std::to_string(kMaxSecretBytes));
  }
  return Ok{};
}

// --- HOTP and TOTP ------------------------------------------------------------------------------

Result<std::string> hotp(ByteView secret, std::uint64_t counter, int digits) {
  ML_TRY(check_secret(secret));
  if (digits < kMinDigits || digits > kMaxDigits) {
    return invalid("HOTP: " + std::to_string(digits) + " digits, not " +
                   std::to_string(kMinDigits) + " to " + std::to_string(kMaxDigits));
  }
  std::array<std::uint8_t, 8> message{};  // the counter, big-endian (RFC 4226 §5.2)
  for (std::size_t i = 0; i < message.size(); ++i)
    message[i] = static_cast<std::uint8_t>(counter >> (8 * (message.size() - 1 - i)));
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr ||
      mac_size != 20) {
    return make_error(Errc::envelope_crypto_failure, "HMAC-SHA1 failed in libcrypto");
  }
  // Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset the last nibble names.
  const std::size_t offset = mac[19] & 0x0F;
  const std::uint32_t bits = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                             (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                             (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                             static_cast<std::uint32_t>(mac[offset + 3]);
  OPENSSL_cleanse(mac.data(), mac.size());
  std::uint32_t value = bits % kPowersOfTen[digits];
  std::string code(static_cast<std::size_t>(digits), '0');
  for (auto it = code.rbegin(); it != code.rend(); ++it) {
    *it = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return code;
}

Result<std::int64_t> time_step(std::int64_t unix_time) {
  if (unix_time < 0) {
    return invalid("TOTP: the time " + std::to_string(unix_time) + " is before 1970");
  }
  return unix_time / kStepSeconds;
}

Result<std::string> totp(ByteView secret, std::int64_t unix_time, int digits) {
  auto step = time_step(unix_time);
  if (!step) return step.error();
  return hotp(secret, static_cast<std::uint64_t>(*step), digits);
}

// --- what a person types as a code --------------------------------------------------------------

Result<std::string> parse_code(std::string_view text) {
  if (text.size() > kMaxCodeText) {
    return invalid("code: longer than " + std::to_string(kMaxCodeText) + " characters");
  }
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c < '0' || c > '9') {
      return invalid("code: " + describe_char(c) + " at position " + std::to_string(i) +
                     " is not a digit");
    }
    digits += c;
  }
  if (digits.empty()) return invalid("code: empty");
  if (digits.size() != static_cast<std::size_t>(kDigits)) {
    return invalid("code: " + std::to_string(digits.size()) + " digits, not " +
                   std::to_string(kDigits));
  }
  return digits;
}

// --- verifying a code ---------------------------------------------------------------------------

Result<std::int64_t> verify(ByteView secret, std::string_view code_text, std::int64_t unix_time,
                            std::int64_t last_used_step) {
  auto code = parse_code(code_text);
  if (!code) return code.error();
  ML_TRY(check_secret(secret));
  auto now = time_step(unix_time);
  if (!now) return now.error();
  // Every step of the window is computed and compared, whatever matched before it.
  bool fresh = false;
  bool used = false;
  std::int64_t matched = 0;
  for (std::int64_t step = *now - kDriftSteps; step <= *now + kDriftSteps; ++step) {
    if (step < 0) continue;
    auto expected = hotp(secret, static_cast<std::uint64_t>(step), kDigits);
    if (!expected) return expected.error();
    const bool equal = CRYPTO_memcmp(expected->data(), code->data(), code->size()) == 0;
    OPENSSL_cleanse(expected->data(), expected->size());
    if (equal && step > last_used_step && !fresh) {
      fresh = true;
      matched = step;
    } else if (equal && step <= last_used_step) {
      used = true;
    }
  }
  if (fresh) return matched;
  if (used) {
    return invalid(std::string(kRefusedAlreadyUsed) + " (the last login used step " +
                   std::to_string(last_used_step) + ")");
  }
  return invalid(std::string(kRefusedWrongCode));
}

// --- Base32 -------------------------------------------------------------------------------------

std::string base32_encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32Alphabet[(buffer >> bits) & 0x1F];
    }
    buffer &= (1U << bits) - 1;
  }
  if (bits > 0) out += kBase32Alphabet[(buffer << (5 - bits)) & 0x1F];
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  if (text.size() > kMaxBase32Text) {
    return invalid("Base32: longer than " + std::to_string(kMaxBase32Text) + " characters");
  }
  Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t data_chars = 0;
  std::size_t last_data = 0;
  std::size_t padding = 0;
  std::size_t first_padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '=') {
      if (padding++ == 0) first_padding = i;
      continue;
    }
    const int v = base32_value(c);
    if (v < 0) {
      return invalid("Base32: " + describe_char(c) + " at position " + std::to_string(i) +
                     " is not one of A-Z, 2-7");
    }
    if (padding > 0) {
      return invalid("Base32: " + describe_char(c) + " at position " + std::to_string(i) +
                     " follows the '=' padding");
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
    buffer &= (1U << bits) - 1;
    ++data_chars;
    last_data = i;
  }
  const std::size_t rest = data_chars % 8;
  if (rest == 1 || rest == 3 || rest == 6) {
    return invalid("Base32: " + std::to_string(data_chars) +
                   " characters, a length no byte string encodes to");
  }
  if (padding > 0) {
    const std::size_t needed = rest == 0 ? 0 : 8 - rest;
    if (padding != needed) {
      return invalid("Base32: " + std::to_string(padding) + " '=' from position " +
                     std::to_string(first_padding) + ", where the last group needs " +
                     std::to_string(needed));
    }
  }
  if (buffer != 0) {
    return invalid("Base32: " + describe_char(text[last_data]) + " at position " +
                   std::to_string(last_data) + " sets bits past the end of the data");
  }
  return out;
}

Result<Bytes> secret_from_base32(std::string_view text) {
  auto secret = base32_decode(text);
  if (!secret) return secret.error();
  if (auto ok = check_secret(*secret); !ok) {
    OPENSSL_cleanse(secret->data(), secret->size());
    return ok.error();
  }
  return secret;
}

// --- the key URI --------------------------------------------------------------------------------

Result<std::string> key_uri(ByteView secret, std::string_view issuer, std::string_view account) {
  ML_TRY(check_secret(secret));
  const auto check = [](std::string_view role, std::string_view label) -> Status {
    if (label.empty()) return invalid("key URI: the " + std::string(role) + " is empty");
    if (label.size() > kMaxUriLabel) {
      return invalid("key URI: the " + std::string(role) + " is longer than " +
                     std::to_string(kMaxUriLabel) + " bytes");
    }
    for (std::size_t i = 0; i < label.size(); ++i) {
      const auto u = static_cast<unsigned char>(label[i]);
      if (label[i] == ':' || u < 0x20 || u == 0x7F) {
        return invalid("key URI: the " + std::string(role) + " has " + describe_char(label[i]) +
                       " at position " + std::to_string(i) +
                       (label[i] == ':' ? " (it separates the issuer from the account)"
                                        : " (a control character)"));
      }
    }
    return Ok{};
  };
  ML_TRY(check("issuer", issuer));
  ML_TRY(check("account", account));
  const std::string encoded_issuer = percent_encode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + percent_encode(account) +
         "?secret=" + base32_encode(secret) + "&issuer=" + encoded_issuer +
         "&algorithm=SHA1&digits=" + std::to_string(kDigits) +
         "&period=" + std::to_string(kStepSeconds);
}

// --- recovery codes -----------------------------------------------------------------------------

std::string format_recovery_code(std::span<const std::uint8_t, kRecoveryCodeRandomBytes> random) {
  std::uint64_t v = 0;
  for (const std::uint8_t b : random)
    v = (v << 8) | b;
  v >>= 8 * kRecoveryCodeRandomBytes - 5 * kRecoveryCodeChars;  // the first 50 bits
  std::string code;
  code.reserve(kRecoveryCodeChars + 1);
  for (std::size_t i = 0; i < kRecoveryCodeChars; ++i) {
    if (i == kRecoveryCodeChars / 2) code += '-';
    code += kRecoveryAlphabet[(v >> (5 * (kRecoveryCodeChars - 1 - i))) & 0x1F];
  }
  return code;
}

Result<std::vector<std::string>> format_recovery_codes(std::size_t count, ByteView random) {
  if (count < 1 || count > kMaxRecoveryCodes) {
    return invalid("recovery codes: " + std::to_string(count) + " codes, not 1 to " +
                   std::to_string(kMaxRecoveryCodes));
  }
  if (random.size() != count * kRecoveryCodeRandomBytes) {
    return invalid("recovery codes: " + std::to_string(count) + " codes take " +
                   std::to_string(count * kRecoveryCodeRandomBytes) + " random bytes, not " +
                   std::to_string(random.size()));
  }
  std::vector<std::string> codes;
  codes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    codes.push_back(format_recovery_code(
        random.subspan(i * kRecoveryCodeRandomBytes).first<kRecoveryCodeRandomBytes>()));
  }
  std::vector<std::string> sorted = codes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return invalid("recovery codes: the random bytes give two equal codes (a broken source?)");
  }
  return codes;
}

Result<std::string> normalize_recovery_code(std::string_view text) {
  if (text.size() > kMaxRecoveryCodeText) {
    return invalid("recovery code: longer than " + std::to_string(kMaxRecoveryCodeText) +
                   " characters");
  }
  std::string code;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '-') continue;
    const int v = recovery_value(c);
    if (v < 0) {
      return invalid("recovery code: " + describe_char(c) + " at position " + std::to_string(i) +
                     " is not a digit or a letter other than U");
    }
    code += kRecoveryAlphabet[static_cast<std::size_t>(v)];
  }
  if (code.empty()) return invalid("recovery code: empty");
  if (code.size() != kRecoveryCodeChars) {
    return invalid("recovery code: " + std::to_string(code.size()) + " characters, not " +
                   std::to_string(kRecoveryCodeChars));
  }
  return code;
}

}  // namespace ml::core::totp
