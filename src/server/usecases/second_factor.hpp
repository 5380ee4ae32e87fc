// A staff user's second factor at login (docs/security.md, "Second factor"): a code from an
// authenticator app (TOTP, core/totp.hpp), or one of ten recovery codes when the phone is lost.
// The command line (`users totp`) and the dashboard (/api/second-factor) are its front doors.
//
// - begin: a new secret, kept unconfirmed (not asked for at login), and the key URI to scan.
//   Beginning again replaces an earlier secret, confirmed or not, and its recovery codes.
// - confirm: the first code the app shows confirms the secret; from then on the login asks for
//   a code, and ten new recovery codes are returned, shown once (only their hashes are kept).
// - check: at login, a 6-digit code (each accepted once: the store records its time step in the
//   same statement that checks it is new) or a recovery code (removed as it is used).
// - disable: removes the secret and the recovery codes (a user who lost the phone and the
//   codes: an admin disables it, the user enrols again).
// Each change is recorded in the admin audit log; no secret or code is ever logged or audited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"
#include "server/usecases/users.hpp"

namespace ml::server::usecase {

// The name authenticator apps show beside the user's.
inline constexpr std::string_view kTotpIssuer = "MeterLogger";
inline constexpr std::size_t kRecoveryCodes = 10;

struct Enrolment {
  std::string secret;  // Base32, for typing into an app that cannot scan
  std::string uri;     // otpauth://totp/...: what the QR code holds
};
core::Result<Enrolment> begin_totp(ServerStore& store, const std::string& user, const Actor& actor,
                                   std::int64_t now);

// The recovery codes, "XXXXX-XXXXX". Refused (Errc::invalid_argument): no enrolment begun, one
// confirmed already, a wrong or malformed code.
core::Result<std::vector<std::string>> confirm_totp(ServerStore& store, const std::string& user,
                                                    const std::string& code, const Actor& actor,
                                                    std::int64_t now);

// How a login's second factor was given.
enum class FactorUsed : std::uint8_t { code, recovery_code };
// `text`: six digits, or a recovery code (anything else). Refused with Errc::invalid_argument
// and a detail for the person logging in: a wrong, used or malformed code.
core::Result<FactorUsed> check_second_factor(ServerStore& store, const std::string& user,
                                             const std::string& text, std::int64_t now);

core::Status disable_totp(ServerStore& store, const std::string& user, const Actor& actor,
                          std::int64_t now);

struct FactorState {
  bool enrolled = false;  // a confirmed secret: the login asks for a code
  bool pending = false;   // begun, not yet confirmed
  std::int64_t recovery_codes_left = 0;
};
core::Result<FactorState> second_factor_state(ServerStore& store, const std::string& user);

}  // namespace ml::server::usecase
