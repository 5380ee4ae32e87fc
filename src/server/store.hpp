// The server's storage, behind an interface: SQLite (sqlite_store.hpp) is the embedded default;
// a PostgreSQL backend implements the same interface later. Every write that belongs together
// is one transaction; a duplicate delivery is stored once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "server/commands.hpp"

namespace ml::server {

// kind: heat | water | electricity
struct Meter {
  std::string serial;
  std::string key_hex;  // the 16-byte master key as 32 hex digits
  std::string name;     // name or address
  std::string kind = "heat";
  std::string group;
  std::string setup_value = "0";  // the energy register at installation, kWh, exact
  bool valve_installed = false;
  std::int64_t last_sample_time = 0;  // 0: no sample yet
  std::int64_t created = 0;
  // When its last will came (server time), 0 when an authentic message has come since: the
  // will is not authenticated (v1 has no MAC), so the next authentic message overrides it.
  std::int64_t offline_since = 0;
};

// Sample keys (docs/protocols/sample.md, "Format") stored as columns (exact text; NULL when absent
// or NaN).
inline constexpr std::string_view kSampleKeys[] = {"heap",  "t1",      "t2", "t3", "tdif",
                                                   "flow1", "effect1", "hr", "v1", "e1"};

struct StoredSample {
  std::string serial;
  std::int64_t time = 0;
  std::map<std::string, std::optional<std::string>> values;  // key -> exact text (nullopt: NaN)
  std::map<std::string, std::string> units;                  // key -> unit as sent
  std::optional<std::string> energy_kwh;                     // normalised, exact
  std::optional<std::string> volume_m3;
  // Firmware defects the sample shows (core::sample::ParsedSample::quirks), "" when none.
  std::string quirks;
};

// One message from a device, already verified and opened, to store.
struct IngestItem {
  enum class Kind : std::uint8_t { sample, diagnostic, event } kind = Kind::sample;
  std::string serial;
  std::int64_t time = 0;              // the topic time (server time for offline)
  std::string function;               // "sample", a reply name, "offline"
  std::string text;                   // the opened text
  core::sample::ParsedSample sample;  // for kind sample
};

// What happened to one item. will_ignored: a last will for a meter already offline (forged
// wills add no event rows).
enum class IngestOutcome : std::uint8_t {
  stored,
  duplicate,
  older_ignored,
  event_logged,
  will_ignored
};

// A message that was not stored, with why (counted by reason; the message kept for a look).
struct Rejection {
  std::string reason;  // unknown_serial, bad_mac, implausible_time, bad_text, ...
  std::string serial;  // from the topic; empty when the topic does not name one
  std::string topic;
  std::string detail;
  std::vector<std::uint8_t> payload;
  std::int64_t time = 0;
};

// How many messages naming a serial were rejected for one reason, and when (server time).
struct SerialRejection {
  std::string serial;
  std::string reason;
  std::int64_t count = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
};

struct Rollup {
  std::string serial;
  std::int64_t bucket = 0;  // unix seconds at the bucket's start (UTC hour or day)
  std::int64_t samples = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
  std::optional<std::string> energy_first, energy_last;  // kWh at first_time / last_time
  std::optional<std::string> volume_first, volume_last;  // m3
  // Exact sums and counts of the averaged fields (average = sum / count; a count of -1: the sum
  // left 64 bits, the average is unavailable for this bucket).
  std::map<std::string, std::pair<std::string, std::int64_t>> sums;  // t1, t2, tdif, flow1, effect1
};

enum class Period : std::uint8_t { hour, day };

// One entry of a meter's prepaid ledger. kWh credited = amount / price (price 0: none).
struct Payment {
  std::int64_t id = 0;
  std::string serial;
  std::int64_t time = 0;
  std::string amount;  // money, exact decimal
  std::string price;   // money per kWh (per m3 for water), exact decimal
  std::string note;
  std::string state = "active";  // active | void (corrected or withdrawn)
  std::int64_t replaces = 0;     // the entry this one corrects
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  std::string action;  // add | correct | void
  std::int64_t payment_id = 0;
  std::string serial;
  std::string amount;
  std::string price;
  std::string note;
  std::string actor;
};

// A person using the dashboard. role: admin | viewer; an admin may change the meters of
// `groups` ("*": every group).
struct User {
  std::string name;
  std::string password_hash;  // Argon2id string
  std::string role = "viewer";
  std::vector<std::string> groups;
  std::int64_t created = 0;
  std::int64_t unlocked_at = 0;  // `users unlock`: failed logins until then no longer count
};

// A logged-in browser: stored under the SHA-256 of its cookie's token, never the token itself.
struct Session {
  std::string user;
  std::string csrf;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string remote;
};

// One entry of the append-only log of what users changed (the dashboard and `users`).
struct AdminAuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  std::string actor;
  std::string remote;  // the client's address; "cli" for the command line
  std::string action;  // login, logout, meter.add, payment.add, command, user.add, ...
  std::string serial;
  std::string detail;
};

inline constexpr std::int64_t kRejectionSerialsKept = 10000;

// Which entries of the admin audit log a reader may see (docs/api.md, GET /api/audit): an
// admin of every group ("*") sees all of them; an admin of some groups the entries of the
// meters now in those groups, and its own entries that name no meter (its logins, ...).
struct AuditScope {
  std::string serial;  // only this meter's entries; "" for all
  bool every_group = false;
  std::vector<std::string> groups;
  std::string actor;
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // Runs `reads` on one consistent snapshot of the data (one read transaction where the backend
  // has them: also much faster than a transaction per query). Inside another read_snapshot it
  // runs on that one.
  virtual core::Status read_snapshot(const std::function<core::Status()>& reads) { return reads(); }
  // Runs `writes` as one transaction: every change it makes is kept when it returns Ok, none
  // when it returns an error or throws (a payment and the limit it queues are one change).
  virtual core::Status write_transaction(const std::function<core::Status()>& writes) = 0;

  // ---- meters ----
  virtual core::Status add_meter(const Meter& meter) = 0;  // Errc::invalid_argument if it exists
  virtual core::Status update_meter(const Meter& meter) = 0;
  virtual core::Status remove_meter(const std::string& serial) = 0;  // its data stays
  virtual core::Result<std::optional<Meter>> meter(const std::string& serial) = 0;
  virtual core::Result<std::vector<Meter>> meters() = 0;
  // The newest value of each diagnostic reply (version, status, uptime, ...) with its time.
  virtual core::Result<std::map<std::string, std::pair<std::string, std::int64_t>>> diagnostics(
      const std::string& serial) = 0;

  // ---- ingest ----
  // Stores the items in one transaction, updating last seen, diagnostics (only when newer) and
  // the rollups of every bucket a new sample falls in. Outcomes in the items' order.
  virtual core::Result<std::vector<IngestOutcome>> ingest(const std::vector<IngestItem>& items,
                                                          std::int64_t now) = 0;
  // Counts the rejection by reason (and by serial when it names one: the newest
  // kRejectionSerialsKept serials are kept) and quarantines the message.
  virtual core::Status reject(const Rejection& rejection) = 0;
  virtual core::Result<std::map<std::string, std::int64_t>> rejection_counts() = 0;
  // A serial's rejections by reason.
  virtual core::Result<std::vector<SerialRejection>> rejections_for(const std::string& serial) = 0;
  // The serials rejected as unknown that are still not meters, the most recent first: devices
  // to adopt with `meters add` (or noise).
  virtual core::Result<std::vector<SerialRejection>> unknown_serials(int limit) = 0;

  // ---- reading ----
  virtual core::Result<std::vector<StoredSample>> samples(const std::string& serial,
                                                          std::int64_t from, std::int64_t to) = 0;
  // At most `limit` of the samples in [from, to], oldest first: a page (the next one starts one
  // second after the last sample of this one), so a long range is read in bounded pieces.
  virtual core::Result<std::vector<StoredSample>> samples_page(const std::string& serial,
                                                               std::int64_t from, std::int64_t to,
                                                               std::size_t limit) {
    auto all = samples(serial, from, to);
    if (all && all->size() > limit) all->resize(limit);
    return all;
  }
  virtual core::Result<std::vector<Rollup>> rollups(const std::string& serial, Period period,
                                                    std::int64_t from, std::int64_t to) = 0;
  // Events (offline, reset_reason, valve changes, ...), oldest first.
  struct Event {
    std::int64_t time;
    std::string kind;
    std::string detail;
  };
  virtual core::Result<std::vector<Event>> events(const std::string& serial) = 0;
  // The newest sample, and the oldest one at or after `from` (what the time left is estimated
  // from); nullopt when there is none.
  virtual core::Result<std::optional<StoredSample>> latest_sample(const std::string& serial) = 0;
  virtual core::Result<std::optional<StoredSample>> first_sample_since(const std::string& serial,
                                                                       std::int64_t from) = 0;
  // The newest event of a kind (e.g. "offline"), if any.
  virtual core::Result<std::optional<Event>> latest_event(const std::string& serial,
                                                          const std::string& kind) = 0;

  // ---- commands ----
  // Queues a command (state queued, sent at once). A new open_until supersedes the meter's
  // older open_until that no reply has confirmed yet. Returns the id.
  virtual core::Result<std::int64_t> enqueue_command(const std::string& serial,
                                                     const std::string& command,
                                                     const std::string& argument, std::int64_t now,
                                                     std::int64_t expires) = 0;
  // Marks commands past their expiry, then returns those due (queued or sent, next_send <= now).
  virtual core::Result<std::vector<Command>> due_commands(std::int64_t now, int limit) = 0;
  virtual core::Status mark_sent(std::int64_t id, std::int64_t now, std::int64_t next_send) = 0;
  // Applies a reply sealed at `reply_time` (its topic time) and received at `now`: every sent
  // command of the meter it confirms (commands.hpp, confirms) becomes acked with the reply.
  // Returns their ids.
  virtual core::Result<std::vector<std::int64_t>> acknowledge(const std::string& serial,
                                                              const std::string& function,
                                                              const std::string& text,
                                                              std::int64_t reply_time,
                                                              std::int64_t now) = 0;
  virtual core::Result<std::optional<Command>> command(std::int64_t id) = 0;
  virtual core::Result<std::vector<Command>> commands(const std::string& serial) = 0;
  // Whether the same command and argument waits for the meter already (queued or sent).
  virtual core::Result<bool> command_pending(const std::string& serial, const std::string& command,
                                             const std::string& argument) = 0;

  // ---- the prepaid ledger; every change also goes to the append-only audit log ----
  virtual core::Result<std::int64_t> add_payment(const Payment& p, const std::string& actor,
                                                 std::int64_t now) = 0;
  // Voids entry `id` and adds `replacement` in its place; returns the new id.
  virtual core::Result<std::int64_t> correct_payment(std::int64_t id, const Payment& replacement,
                                                     const std::string& actor,
                                                     std::int64_t now) = 0;
  virtual core::Status void_payment(std::int64_t id, const std::string& actor,
                                    std::int64_t now) = 0;
  virtual core::Result<std::vector<Payment>> payments(const std::string& serial) = 0;
  virtual core::Result<std::optional<Payment>> payment(std::int64_t id) = 0;
  virtual core::Result<std::vector<AuditEntry>> audit_log(const std::string& serial) = 0;

  // ---- users, sessions and the admin audit log ----
  virtual core::Status add_user(const User& user) = 0;  // Errc::invalid_argument if it exists
  // A new password ends the user's sessions.
  virtual core::Status set_password(const std::string& name, const std::string& hash) = 0;
  virtual core::Status remove_user(const std::string& name) = 0;  // and its sessions
  virtual core::Result<std::optional<User>> user(const std::string& name) = 0;
  virtual core::Result<std::vector<User>> users() = 0;
  // Also forgets the sessions that have expired by `session.created`.
  virtual core::Status add_session(const std::string& id_hash, const Session& session) = 0;
  virtual core::Result<std::optional<Session>> session(const std::string& id_hash) = 0;
  virtual core::Status remove_session(const std::string& id_hash) = 0;
  virtual core::Status audit_admin(const AdminAuditEntry& entry) = 0;
  // Newest first; every serial when `serial` is empty.
  virtual core::Result<std::vector<AdminAuditEntry>> admin_audit(const std::string& serial,
                                                                 int limit) = 0;
  // Newest first, what `scope` may see.
  virtual core::Result<std::vector<AdminAuditEntry>> admin_audit_scoped(const AuditScope& scope,
                                                                        int limit) = 0;
  // Sets the user's unlocked_at; Errc::invalid_argument when there is no such user.
  virtual core::Status unlock_user(const std::string& name, std::int64_t now) = 0;
};

}  // namespace ml::server
