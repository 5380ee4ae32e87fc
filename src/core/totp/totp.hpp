// Staff two-factor login: one-time codes from an authenticator app, and recovery codes for when
// the phone is lost. Pure: the caller passes the unix time and the random bytes (a secret is
// kSecretBytes random bytes; recovery codes are formatted from kRecoveryCodeRandomBytes each),
// and stores what must be stored (the secret, the last step used, the recovery codes' hashes).
//
// - HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, 6 digits, a 30 s step from the unix
//   epoch: what authenticator apps compute from a scanned key URI by default.
// - verify() accepts the code of the current step or of one step before or after (clock drift),
//   only for a step after the last one used (a code is used once: the caller stores the step it
//   returns, atomically with the login, and passes it back next time).
// - Base32 (RFC 4648): upper case without padding out; lower case, '=' padding and spaces in.
// - The otpauth:// key URI that apps scan, as a QR code, to learn the secret.
// - Recovery codes: 10 characters of Crockford's base32 alphabet (no I, L, O, U; 50 bits), shown
//   "XXXXX-XXXXX"; what a person types is normalised (case, dashes and spaces ignored; I and L
//   read as 1, O as 0) to the 10 characters the caller hashes and compares.
//
// Every parser is bounded and refuses bad input with Errc::invalid_argument and a detail that
// says what was wrong; the details never quote a secret. verify()'s refusals begin with one of
// the kRefused* texts, so a caller can tell them apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::core::totp {

// --- secrets ------------------------------------------------------------------------------------

inline constexpr std::size_t kSecretBytes = 20;  // 160 bits, RFC 4226's recommendation
inline constexpr std::size_t kMinSecretBytes = 16;
inline constexpr std::size_t kMaxSecretBytes = 64;

// Ok when the secret has kMinSecretBytes to kMaxSecretBytes bytes.
Status check_secret(ByteView secret);

// --- HOTP and TOTP ------------------------------------------------------------------------------

inline constexpr int kDigits = 6;
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;
inline constexpr std::int64_t kStepSeconds = 30;

// The HOTP value of `counter` (RFC 4226 §5.3): `digits` decimal digits, with leading zeros.
// Refused: a secret of the wrong size, digits outside kMinDigits..kMaxDigits.
Result<std::string> hotp(ByteView secret, std::uint64_t counter, int digits = kDigits);

// The time step of a unix time: floor(unix_time / kStepSeconds). Refused: a time before 1970.
Result<std::int64_t> time_step(std::int64_t unix_time);

// The TOTP value at `unix_time` (RFC 6238 §4): hotp() of time_step(unix_time).
Result<std::string> totp(ByteView secret, std::int64_t unix_time, int digits = kDigits);

// --- what a person types as a code --------------------------------------------------------------

// The longest code text accepted: 6 digits among spaces.
inline constexpr std::size_t kMaxCodeText = 16;

// The 6 digits of a typed code. Spaces are ignored ("123 456", and those a paste leaves at
// either end); any other character, fewer or more than 6 digits, or more than kMaxCodeText
// characters is refused, the detail beginning "code: ".
Result<std::string> parse_code(std::string_view text);

// --- verifying a code ---------------------------------------------------------------------------

// last_used_step before the first login: every step (from 1970 on) is after it.
inline constexpr std::int64_t kNoStepUsed = -1;
// How many steps before and after the current one a code is accepted for.
inline constexpr std::int64_t kDriftSteps = 1;

// The beginnings of verify()'s refusals (after a malformed code, the detail is parse_code()'s).
inline constexpr std::string_view kRefusedWrongCode = "code: wrong code";
inline constexpr std::string_view kRefusedAlreadyUsed = "code: already used";

// The time step `code_text` is valid for: one of the steps from time_step(unix_time) -
// kDriftSteps to + kDriftSteps (the earliest when a code matches more than one) that is after
// last_used_step. The caller stores the step returned and passes it as last_used_step from then
// on. Refused: a malformed code (parse_code's detail), a code of no step in the window
// (kRefusedWrongCode), a code of a step at or before last_used_step only (kRefusedAlreadyUsed),
// and a secret of the wrong size or a time before 1970. The codes are compared in constant time.
Result<std::int64_t> verify(ByteView secret, std::string_view code_text, std::int64_t unix_time,
                            std::int64_t last_used_step);

// --- Base32 (RFC 4648 §6) -----------------------------------------------------------------------

// The longest Base32 text base32_decode reads (characters, counting spaces and padding).
inline constexpr std::size_t kMaxBase32Text = 256;

// Upper case "A-Z2-7", without '=' padding.
std::string base32_encode(ByteView bytes);
// Accepts lower case, spaces anywhere, and '=' padding at the end (none, or exactly what
// completes the last group of 8 characters). Refused, by character and position (counted from
// 0 in `text`): a character outside the alphabet, a character after the padding, a length that
// no byte string encodes to, a last character with bits set past the end of the data (so a
// decoded text encodes back to the same letters), and more than kMaxBase32Text characters.
Result<Bytes> base32_decode(std::string_view text);
// A secret stored or entered as Base32: base32_decode() and check_secret().
Result<Bytes> secret_from_base32(std::string_view text);

// --- the key URI --------------------------------------------------------------------------------

// The longest issuer and account name key_uri accepts, in bytes.
inline constexpr std::size_t kMaxUriLabel = 128;

// "otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30"
// with ISSUER and ACCOUNT percent-encoded. Refused: a secret of the wrong size, an empty issuer
// or account, one longer than kMaxUriLabel bytes or holding a ':' (the label's separator, which
// apps do not accept even encoded) or a control character.
Result<std::string> key_uri(ByteView secret, std::string_view issuer, std::string_view account);

// --- recovery codes -----------------------------------------------------------------------------

// Crockford's base32 alphabet: the digits and the letters but I, L, O and U.
inline constexpr std::string_view kRecoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr std::size_t kRecoveryCodeChars = 10;  // 50 bits
// Random bytes per code: 56 bits, of which the first 50 are used.
inline constexpr std::size_t kRecoveryCodeRandomBytes = 7;
inline constexpr std::size_t kMaxRecoveryCodes = 100;
// The longest typed recovery code accepted (characters, counting dashes and spaces).
inline constexpr std::size_t kMaxRecoveryCodeText = 32;

// One code from 7 random bytes, shown as two groups of 5 joined by '-': "7K2QD-9XMPA".
std::string format_recovery_code(std::span<const std::uint8_t, kRecoveryCodeRandomBytes> random);
// `count` codes (1 to kMaxRecoveryCodes) from count * kRecoveryCodeRandomBytes random bytes.
// Refused: another count or number of bytes, and bytes that give two equal codes (a broken
// random source).
Result<std::vector<std::string>> format_recovery_codes(std::size_t count, ByteView random);
// What to hash and compare: the 10 characters of a typed code, upper case, without the dash.
// Case, dashes and spaces are ignored, I and L read as 1 and O as 0 (Crockford's reading).
// Refused, the detail beginning "recovery code: ": any other character (named with its position
// from 0), fewer or more than 10 characters, more than kMaxRecoveryCodeText characters.
Result<std::string> normalize_recovery_code(std::string_view text);

}  // namespace ml::core::totp
