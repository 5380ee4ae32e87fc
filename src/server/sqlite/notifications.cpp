// SqliteStore: the outbox of notifications and the contacts (store/notifications.hpp). States
// are stored by their names (kNotificationStates).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

namespace {

constexpr const char* kColumns =
    "id, dedupe_key, channel, recipient, serial, subject, body, created, state, attempts, "
    "next_attempt, last_attempt, last_error, sent_time, queued_at";

core::Result<std::vector<StoredNotification>> read_notifications(sq::Statement& q) {
  std::vector<StoredNotification> out;
  std::string unknown;
  ML_TRY(each_row(q, [&] {
    StoredNotification n;
    n.id = q.int64(0);
    n.dedupe_key = q.text(1);
    n.channel = q.text(2);
    n.recipient = q.text(3);
    n.serial = q.text(4);
    n.subject = q.text(5);
    n.body = q.text(6);
    n.created = q.int64(7);
    const std::string state = q.text(8);
    if (auto s = notification_state_from_name(state)) {
      n.state = *s;
    } else if (unknown.empty()) {
      unknown = "notification #" + std::to_string(n.id) + " has an unknown state \"" + state + "\"";
    }
    n.attempts = q.int64(9);
    n.next_attempt = q.int64(10);
    n.last_attempt = q.int64(11);
    n.last_error = q.text(12);
    n.sent_time = q.int64(13);
    n.queued_at = q.int64(14);
    out.push_back(std::move(n));
  }));
  if (!unknown.empty()) return core::make_error(core::Errc::invalid_argument, unknown);
  return out;
}

core::Result<std::optional<StoredNotification>> first(
    core::Result<std::vector<StoredNotification>> rows) {
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<StoredNotification>{};
  return std::optional<StoredNotification>(std::move(rows->front()));
}

}  // namespace

core::Result<NotificationStore::Inserted> SqliteStore::insert_notification(
    const StoredNotification& n) {
  auto q = db_.prepare(
      "INSERT INTO notifications(dedupe_key, channel, recipient, serial, subject, body, created, "
      "state, attempts, next_attempt, last_attempt, last_error, sent_time, queued_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dedupe_key) DO NOTHING");
  if (!q) return q.error();
  ML_TRY(q->bind(1, n.dedupe_key)
             .bind(2, n.channel)
             .bind(3, n.recipient)
             .bind(4, n.serial)
             .bind(5, n.subject)
             .bind(6, n.body)
             .bind(7, n.created)
             .bind(8, std::string(notification_state_name(n.state)))
             .bind(9, n.attempts)
             .bind(10, n.next_attempt)
             .bind(11, n.last_attempt)
             .bind(12, n.last_error)
             .bind(13, n.sent_time)
             .bind(14, n.queued_at)
             .run());
  if (db_.changes() == 1) return Inserted{db_.last_insert_id(), true};
  auto existing = notification_by_key(n.dedupe_key);
  if (!existing) return existing.error();
  if (!*existing) {
    return core::make_error(core::Errc::storage_failure,
                            "notification " + n.dedupe_key + " was neither stored nor found");
  }
  return Inserted{(*existing)->id, false};
}

core::Status SqliteStore::update_notification(const StoredNotification& n) {
  auto q = db_.prepare(
      "UPDATE notifications SET state=?, attempts=?, next_attempt=?, last_attempt=?, "
      "last_error=?, sent_time=?, queued_at=? WHERE id=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, std::string(notification_state_name(n.state)))
             .bind(2, n.attempts)
             .bind(3, n.next_attempt)
             .bind(4, n.last_attempt)
             .bind(5, n.last_error)
             .bind(6, n.sent_time)
             .bind(7, n.queued_at)
             .bind(8, n.id)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument,
                            "no notification #" + std::to_string(n.id));
  }
  return core::Ok{};
}

core::Result<std::optional<StoredNotification>> SqliteStore::notification(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kColumns + " FROM notifications WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  return first(read_notifications(*q));
}

core::Result<std::optional<StoredNotification>> SqliteStore::notification_by_key(
    const std::string& dedupe_key) {
  auto q =
      db_.prepare(std::string("SELECT ") + kColumns + " FROM notifications WHERE dedupe_key=?");
  if (!q) return q.error();
  q->bind(1, dedupe_key);
  return first(read_notifications(*q));
}

core::Result<std::vector<StoredNotification>> SqliteStore::notifications_due(std::int64_t now,
                                                                             int limit) {
  auto q = db_.prepare(std::string("SELECT ") + kColumns +
                       " FROM notifications WHERE state IN ('queued', 'rate_limited') AND "
                       "next_attempt <= ? ORDER BY next_attempt, id LIMIT ?");
  if (!q) return q.error();
  q->bind(1, now).bind(2, std::int64_t{limit});
  return read_notifications(*q);
}

core::Result<std::vector<StoredNotification>> SqliteStore::notifications_in_state(
    NotificationState state) {
  auto q = db_.prepare(std::string("SELECT ") + kColumns +
                       " FROM notifications WHERE state=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, std::string(notification_state_name(state)));
  return read_notifications(*q);
}

core::Result<std::vector<std::int64_t>> SqliteStore::sent_times(const std::string& recipient,
                                                                std::int64_t since) {
  auto q = db_.prepare(
      "SELECT sent_time FROM notifications WHERE recipient=? AND state='sent' AND sent_time>=? "
      "ORDER BY sent_time");
  if (!q) return q.error();
  q->bind(1, recipient).bind(2, since);
  std::vector<std::int64_t> out;
  ML_TRY(each_row(*q, [&] { out.push_back(q->int64(0)); }));
  return out;
}

core::Result<std::vector<StoredNotification>> SqliteStore::notification_log(
    const NotificationFilter& f) {
  auto q = db_.prepare(std::string("SELECT ") + kColumns +
                       " FROM notifications WHERE (?='' OR serial=?) AND (?='' OR recipient=?) "
                       "AND (?='' OR channel=?) ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, f.serial)
      .bind(2, f.serial)
      .bind(3, f.recipient)
      .bind(4, f.recipient)
      .bind(5, f.channel)
      .bind(6, f.channel)
      .bind(7, std::int64_t{f.limit});
  return read_notifications(*q);
}

core::Result<ChannelActivity> SqliteStore::channel_activity(const std::string& channel) {
  ChannelActivity a;
  auto q = db_.prepare(
      "SELECT COALESCE(MAX(CASE WHEN state='sent' THEN sent_time END), 0), "
      "COALESCE(SUM(state IN ('queued', 'rate_limited', 'sending')), 0), "
      "COALESCE(SUM(state='failed'), 0) FROM notifications WHERE channel=?");
  if (!q) return q.error();
  q->bind(1, channel);
  ML_TRY(each_row(*q, [&] {
    a.last_success = q->int64(0);
    a.waiting = q->int64(1);
    a.failed = q->int64(2);
  }));
  auto e = db_.prepare(
      "SELECT last_attempt, last_error FROM notifications WHERE channel=? AND last_error<>'' "
      "ORDER BY last_attempt DESC, id DESC LIMIT 1");
  if (!e) return e.error();
  e->bind(1, channel);
  ML_TRY(each_row(*e, [&] {
    a.last_failure = e->int64(0);
    a.last_error = e->text(1);
  }));
  return a;
}

core::Status SqliteStore::set_meter_contact(const std::string& serial, const MeterContact& c) {
  auto q = db_.prepare(
      "UPDATE meters SET contact_name=?, contact_email=?, contact_phone=? WHERE serial=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, c.name).bind(2, c.email).bind(3, c.phone).bind(4, serial).run());
  if (db_.changes() == 0)
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  return core::Ok{};
}

core::Status SqliteStore::set_user_contact(const std::string& name, const UserContact& c) {
  auto q = db_.prepare("UPDATE users SET email=?, phone=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, c.email).bind(2, c.phone).bind(3, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Result<std::map<std::string, PrepaidNoticeState>> SqliteStore::prepaid_notice_states() {
  auto q = db_.prepare(
      "SELECT serial, announced_payment_id, low_sent, closed_sent FROM prepaid_notices");
  if (!q) return q.error();
  std::map<std::string, PrepaidNoticeState> out;
  ML_TRY(each_row(*q, [&] {
    out[q->text(0)] = PrepaidNoticeState{q->int64(1), q->int64(2) != 0, q->int64(3) != 0};
  }));
  return out;
}

core::Status SqliteStore::write_prepaid_notice_state(const std::string& serial,
                                                     const PrepaidNoticeState& s) {
  auto q = db_.prepare(
      "INSERT INTO prepaid_notices(serial, announced_payment_id, low_sent, closed_sent) "
      "VALUES(?, ?, ?, ?) ON CONFLICT(serial) DO UPDATE SET "
      "announced_payment_id=excluded.announced_payment_id, low_sent=excluded.low_sent, "
      "closed_sent=excluded.closed_sent");
  if (!q) return q.error();
  return q->bind(1, serial)
      .bind(2, s.announced_payment_id)
      .bind(3, std::int64_t{s.low_sent})
      .bind(4, std::int64_t{s.closed_sent})
      .run();
}

}  // namespace ml::server
