// The residents: the people who live with a meter and pay for its heat, with their own login
// (docs/residents.md). A focused part of the server's store (server/store.hpp): a backend only
// persists them; the rules (how a code is made and checked, how many may be asked for, what a
// resident may see) are backend-neutral, in server/usecases/residents.hpp.
//
// - A resident is reached at an e-mail address and/or a phone number; each address belongs to
//   one resident at most (the login asks by address).
// - A resident has one or more meters (a household's heat and water); a meter may have several
//   residents.
// - A login code is kept as a hash, with its expiry, the tries at it and whether it was used;
//   a code is taken in one statement, so two logins cannot share it.
// - Sessions are the residents' own, apart from the staff's (store/users.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "server/prepaid_notice.hpp"

namespace ml::server {

// Which of their meters' prepaid notices (server/prepaid_notice.hpp) a resident gets: every one,
// the essential ones (running low, closed: not the payment receipts), or none.
enum class ResidentNotices : std::uint8_t { all, essential, none };
struct ResidentNoticesInfo {
  ResidentNotices notices;
  std::string_view name;  // as stored, sent and shown
};
inline constexpr std::array<ResidentNoticesInfo, 3> kResidentNotices{{
    {ResidentNotices::all, "all"},
    {ResidentNotices::essential, "essential"},
    {ResidentNotices::none, "none"},
}};
constexpr std::string_view resident_notices_name(ResidentNotices n) {
  for (const auto& row : kResidentNotices)
    if (row.notices == n) return row.name;
  return "all";
}
constexpr std::optional<ResidentNotices> resident_notices_from_name(std::string_view name) {
  for (const auto& row : kResidentNotices)
    if (row.name == name) return row.notices;
  return std::nullopt;
}

struct Resident {
  std::int64_t id = 0;
  std::string name;           // as staff typed it; may be ""
  std::string email;          // "": none
  std::string phone;          // E.164, "": none
  std::string language;       // "da", "en", or "" (the browser's)
  std::string password_hash;  // Argon2id, "": none (codes only)
  std::int64_t created = 0;
  std::string invited_by;            // the staff user
  std::vector<std::string> serials;  // the meters, in serial order
  ResidentNotices notices = ResidentNotices::all;
  std::string notice_channel;  // "email", "sms", or "" (e-mail when they have an address, else SMS)
  // "Running low" below this many days left; 0: the cooperative's ([notify] prepaid_low_days).
  int low_days = 0;
};
inline constexpr int kMaxResidentLowDays = 60;

// A login code asked for: where it went, until when it is good.
struct ResidentCode {
  std::int64_t id = 0;
  std::int64_t resident_id = 0;
  std::string code_hash;  // SHA-256 hex of the code with the resident's id
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::int64_t tries = 0;  // wrong codes typed against it
  bool used = false;
  std::string address;  // the client's address that asked for it
};

struct ResidentSession {
  std::int64_t resident_id = 0;
  std::string csrf;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string remote;
};

class ResidentStore {
 public:
  virtual ~ResidentStore() = default;
  // Stores a new resident with its meters (its id ignored): the new id. Errc::invalid_argument
  // when its e-mail or phone belongs to another resident already, or a meter does not exist.
  virtual core::Result<std::int64_t> add_resident(const Resident& resident) = 0;
  // Writes name, email, phone, language, password_hash, notices, notice_channel and low_days of
  // resident `r.id` (not its meters);
  // the same refusals, and "no resident N".
  virtual core::Status update_resident(const Resident& r) = 0;
  virtual core::Status set_resident_meters(std::int64_t id,
                                           const std::vector<std::string>& serials) = 0;
  virtual core::Status delete_resident(std::int64_t id) = 0;  // with its meters, codes, sessions
  virtual core::Result<std::optional<Resident>> resident(std::int64_t id) = 0;
  // The resident whose e-mail (compared without case) or phone is `address`.
  virtual core::Result<std::optional<Resident>> resident_by_address(const std::string& address) = 0;
  // The residents of a meter, by id.
  virtual core::Result<std::vector<Resident>> residents_of(const std::string& serial) = 0;
  // Every meter's residents in one read, as (serial, resident) by serial then id; each resident
  // without its `serials` (left empty): the prepaid notices' reading.
  virtual core::Result<std::vector<std::pair<std::string, Resident>>> residents_by_meter() = 0;

  // What each resident with a low-credit threshold of their own was last told of each of their
  // meters (server/prepaid_notice.hpp), by (resident, serial); a pair not in the map has the
  // all-zero state. Removing a resident removes theirs.
  virtual core::Result<std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState>>
  resident_prepaid_states() = 0;
  virtual core::Status write_resident_prepaid_state(std::int64_t id, const std::string& serial,
                                                    const PrepaidNoticeState& state) = 0;

  // Codes. insert: the new id.
  virtual core::Result<std::int64_t> insert_resident_code(const ResidentCode& code) = 0;
  // The codes of resident `id` created at or after `since`, oldest first.
  virtual core::Result<std::vector<ResidentCode>> resident_codes(std::int64_t id,
                                                                 std::int64_t since) = 0;
  // How many codes were asked for from `address` at or after `since`.
  virtual core::Result<std::int64_t> resident_codes_from(const std::string& address,
                                                         std::int64_t since) = 0;
  // Marks code `id` used if it is unused, unexpired at `now`, and below `max_tries`: true.
  virtual core::Result<bool> take_resident_code(std::int64_t id, std::int64_t now,
                                                int max_tries) = 0;
  virtual core::Status count_resident_code_try(std::int64_t id) = 0;
  // Forgets the codes that expired before `before`.
  virtual core::Status remove_resident_codes_before(std::int64_t before) = 0;

  // Sessions, stored under the SHA-256 of their token.
  virtual core::Status insert_resident_session(const std::string& id_hash,
                                               const ResidentSession& session) = 0;
  virtual core::Result<std::optional<ResidentSession>> resident_session(
      const std::string& id_hash) = 0;
  virtual core::Status remove_resident_session(const std::string& id_hash) = 0;
  virtual core::Status remove_resident_sessions_of(std::int64_t id) = 0;
  virtual core::Status remove_expired_resident_sessions(std::int64_t now) = 0;
};

}  // namespace ml::server
