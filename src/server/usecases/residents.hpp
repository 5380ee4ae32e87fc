// The residents' use cases (docs/residents.md): staff invite a resident to their meters, and a
// resident logs in with a one-time code sent to their e-mail address or phone.
//
// - invite: a resident with a name, an e-mail address and/or a phone number (checked as the
//   notification channels check them), a language and one or more meters; audited.
// - issue_login_code: 8 random digits (26.6 bits) for the resident reached at `address`, kept
//   as a SHA-256 hash with the resident's id, valid kCodeLifetime seconds, used once. At most
//   kCodesPerResident codes per resident and kCodesPerClient per client address within
//   kCodeWindow (the codes sent; the caller limits the asking itself, as the login limit does,
//   so addresses cannot be guessed at speed); past that the caller is told how long to wait. An
//   address that is no resident's gets no code, and the answer does not say so (the caller says
//   "if this address is known, a code is on its way" either way).
// - redeem_login_code: the resident a code logs in. A wrong code counts a try against every open
//   code of that resident, and a code is refused after kCodeTries wrong tries: guessing 8 digits
//   within those tries succeeds once in 20 million.
// - The message with a code also holds a login link when the residents' page has an address
//   (login_link): the same code, in the link's fragment, which browsers send to no server.
// - set_resident_password / redeem_login_password: a resident may also log in with a password
//   of their own (Argon2id, at least 8 characters), set on their page once logged in.
// Sending the code (e-mail, SMS) is the caller's: the code is returned once and never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/notify/config.hpp"
#include "server/store.hpp"
#include "server/usecases/users.hpp"

namespace ml::server::usecase {

inline constexpr int kCodeDigits = 8;
inline constexpr std::int64_t kCodeLifetime = 600;  // seconds
inline constexpr int kCodeTries = 5;                // wrong codes before a code is refused
inline constexpr std::int64_t kCodeWindow = 900;    // seconds: the window of the limits below
inline constexpr int kCodesPerResident = 3;
inline constexpr int kCodesPerClient = 10;

struct Invite {
  std::string name;
  std::string email;
  std::string phone;
  std::string language;  // "da", "en" or "" (the browser's)
  std::vector<std::string> serials;
};
// The new resident's id. Refused (Errc::invalid_argument): neither an e-mail address nor a phone
// number, a malformed one, one that is another resident's, no meter or a meter that does not
// exist, an unknown language.
core::Result<std::int64_t> invite_resident(ServerStore& store, const Invite& invite,
                                           const Actor& actor, std::int64_t now);

// Removes a resident: their personal data, login codes and sessions go; their meters and the
// meters' history stay (docs/residents.md, "Personal data"). Audited as resident.remove.
core::Status remove_resident(ServerStore& store, std::int64_t id, const Actor& actor,
                             std::int64_t now);

// A resident's own choices (docs/residents.md, "Notices"): which prepaid notices they get
// ("all", "essential", "none"), on which channel ("email", "sms", "" for e-mail when they have
// an address, else SMS), the page's language ("da", "en", "" for the browser's), and below how
// many days left "running low" comes (1 to kMaxResidentLowDays; 0: [notify] prepaid_low_days).
// A field left nullopt stays. Refused: an unknown value, or a channel they have no address for.
struct Preferences {
  std::optional<std::string> notices;
  std::optional<std::string> channel;
  std::optional<std::string> language;
  std::optional<int> low_days;  // "running low" below this many days; 0: the cooperative's
};
core::Result<Resident> set_resident_preferences(ServerStore& store, std::int64_t id,
                                                const Preferences& p);

// An address as typed at the login: blanks at either end dropped; a phone number without its
// inner blanks, dashes and dots ("+45 12 34-56 78" is "+4512345678"). An e-mail address keeps
// its case (it is compared without).
std::string login_address(std::string_view typed);

// How to pay for `meter`: `pattern` ([residents] payment) with "{serial}" and "{name}" replaced by
// the meter's serial and name, each as often as it occurs.
std::string payment_instructions(std::string_view pattern, const Meter& meter);

struct IssuedCode {
  std::int64_t resident_id = 0;
  std::string code;  // the digits, to send; not stored
};
// A code, none (the address is no resident's), or a refusal whose detail begins "wait N s".
core::Result<std::optional<IssuedCode>> issue_login_code(ServerStore& store,
                                                         const std::string& address,
                                                         const std::string& client,
                                                         std::int64_t now);

// issue_login_code, then the code sent to `address` on the first channel of [notify] that
// reaches it (email for an address with "@", sms for a phone number), in the resident's
// language, with `url` (the residents' page) when given. The message's subject says nothing of
// the code; its body (never shown in a notification log) holds it. True when a code was queued;
// false for an address that is nobody's. Errc::invalid_argument "no ... channel" when no channel
// of [notify] reaches that kind of address (said whoever the address belongs to).
core::Result<bool> send_login_code(ServerStore& store, const notify::NotifyConfig& notify,
                                   const std::string& address, const std::string& client,
                                   const std::string& url, std::int64_t now);
// The dedupe key of login code messages begins with this (notify/notifier.hpp).
inline constexpr std::string_view kLoginCodeKey = "resident-code:";

// The residents' page with a login in its fragment: `url` + "#login=" + code + "&address=" +
// the address, percent-encoded (the page logs in with them and forgets them).
std::string login_link(std::string_view url, std::string_view address, std::string_view code);

// A new password for resident `id` ("": none, codes only); Errc::invalid_argument when it has
// fewer than 8 characters. The caller ends the resident's other sessions.
core::Status set_resident_password(ServerStore& store, std::int64_t id,
                                   const std::string& password);

// The resident `address` and `password` log in; Errc::invalid_argument "wrong address or
// password" otherwise (also for a resident without a password). Takes as long whether the
// address is known or not.
core::Result<std::int64_t> redeem_login_password(ServerStore& store, const std::string& address,
                                                 const std::string& password);

// The resident the code logs in; Errc::invalid_argument "wrong or expired code" otherwise.
core::Result<std::int64_t> redeem_login_code(ServerStore& store, const std::string& address,
                                             const std::string& code, std::int64_t now);

}  // namespace ml::server::usecase
