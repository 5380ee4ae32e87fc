// PostgresStore: the outbox of notifications and the contacts (store/notifications.hpp). States
// are stored by their names (kNotificationStates).
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

namespace {

constexpr const char* kNotificationColumns =
    "id, dedupe_key, channel, recipient, serial, subject, body, created, state, attempts, "
    "next_attempt, last_attempt, last_error, sent_time, queued_at";

core::Result<std::vector<StoredNotification>> notifications_read(
    const core::Result<pg::Rows>& rows) {
  if (!rows) return rows.error();
  std::vector<StoredNotification> out;
  std::string unknown;
  for (int i = 0; i < rows->size(); ++i) {
    StoredNotification n;
    n.id = rows->int64(i, 0);
    n.dedupe_key = rows->text(i, 1);
    n.channel = rows->text(i, 2);
    n.recipient = rows->text(i, 3);
    n.serial = rows->text(i, 4);
    n.subject = rows->text(i, 5);
    n.body = rows->text(i, 6);
    n.created = rows->int64(i, 7);
    const std::string state = rows->text(i, 8);
    if (auto s = notification_state_from_name(state)) {
      n.state = *s;
    } else if (unknown.empty()) {
      unknown = "notification #" + std::to_string(n.id) + " has an unknown state \"" + state + "\"";
    }
    n.attempts = rows->int64(i, 9);
    n.next_attempt = rows->int64(i, 10);
    n.last_attempt = rows->int64(i, 11);
    n.last_error = rows->text(i, 12);
    n.sent_time = rows->int64(i, 13);
    n.queued_at = rows->int64(i, 14);
    out.push_back(std::move(n));
  }
  if (!unknown.empty()) return core::make_error(core::Errc::invalid_argument, unknown);
  return out;
}

core::Result<std::optional<StoredNotification>> notifications_first(
    core::Result<std::vector<StoredNotification>> rows) {
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<StoredNotification>{};
  return std::optional<StoredNotification>(std::move(rows->front()));
}

// SQLite reads a negative LIMIT as "no limit"; PostgreSQL refuses it (LIMIT NULL is none).
pg::Param notifications_limit(int limit) {
  return limit < 0 ? pg::Param(std::nullopt) : pg::Param(limit);
}

}  // namespace

core::Result<NotificationStore::Inserted> PostgresStore::insert_notification(
    const StoredNotification& n) {
  auto rows = db_.query(
      "INSERT INTO notifications(dedupe_key, channel, recipient, serial, subject, body, created, "
      "state, attempts, next_attempt, last_attempt, last_error, sent_time, queued_at) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
      "ON CONFLICT(dedupe_key) DO NOTHING RETURNING id",
      {n.dedupe_key, n.channel, n.recipient, n.serial, n.subject, n.body, n.created,
       notification_state_name(n.state), n.attempts, n.next_attempt, n.last_attempt, n.last_error,
       n.sent_time, n.queued_at});
  if (!rows) return rows.error();
  if (rows->size() == 1) return Inserted{rows->int64(0, 0), true};
  auto existing = notification_by_key(n.dedupe_key);
  if (!existing) return existing.error();
  if (!*existing) {
    return core::make_error(core::Errc::storage_failure,
                            "notification " + n.dedupe_key + " was neither stored nor found");
  }
  return Inserted{(*existing)->id, false};
}

core::Status PostgresStore::update_notification(const StoredNotification& n) {
  auto r = db_.query(
      "UPDATE notifications SET state=$1, attempts=$2, next_attempt=$3, last_attempt=$4, "
      "last_error=$5, sent_time=$6, queued_at=$7 WHERE id=$8",
      {notification_state_name(n.state), n.attempts, n.next_attempt, n.last_attempt, n.last_error,
       n.sent_time, n.queued_at, n.id});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument,
                            "no notification #" + std::to_string(n.id));
  }
  return core::Ok{};
}

core::Result<std::optional<StoredNotification>> PostgresStore::notification(std::int64_t id) {
  return notifications_first(notifications_read(db_.query(
      std::string("SELECT ") + kNotificationColumns + " FROM notifications WHERE id=$1", {id})));
}

core::Result<std::optional<StoredNotification>> PostgresStore::notification_by_key(
    const std::string& dedupe_key) {
  return notifications_first(notifications_read(db_.query(
      std::string("SELECT ") + kNotificationColumns + " FROM notifications WHERE dedupe_key=$1",
      {dedupe_key})));
}

core::Result<std::vector<StoredNotification>> PostgresStore::notifications_due(std::int64_t now,
                                                                               int limit) {
  return notifications_read(
      db_.query(std::string("SELECT ") + kNotificationColumns +
                    " FROM notifications WHERE state IN ('queued', 'rate_limited') AND "
                    "next_attempt <= $1 ORDER BY next_attempt, id LIMIT $2",
                {now, notifications_limit(limit)}));
}

core::Result<std::vector<StoredNotification>> PostgresStore::notifications_in_state(
    NotificationState state) {
  return notifications_read(db_.query(std::string("SELECT ") + kNotificationColumns +
                                          " FROM notifications WHERE state=$1 ORDER BY id",
                                      {notification_state_name(state)}));
}

core::Result<std::vector<std::int64_t>> PostgresStore::sent_times(const std::string& recipient,
                                                                  std::int64_t since) {
  auto rows = db_.query(
      "SELECT sent_time FROM notifications WHERE recipient=$1 AND state='sent' AND "
      "sent_time>=$2 ORDER BY sent_time",
      {recipient, since});
  if (!rows) return rows.error();
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i)
    out.push_back(rows->int64(i, 0));
  return out;
}

core::Result<std::vector<StoredNotification>> PostgresStore::notification_log(
    const NotificationFilter& f) {
  return notifications_read(
      db_.query(std::string("SELECT ") + kNotificationColumns +
                    " FROM notifications WHERE ($1::text='' OR serial=$1::text) "
                    "AND ($2::text='' OR recipient=$2::text) AND ($3::text='' OR channel=$3::text) "
                    "ORDER BY id DESC LIMIT $4",
                {f.serial, f.recipient, f.channel, notifications_limit(f.limit)}));
}

core::Result<ChannelActivity> PostgresStore::channel_activity(const std::string& channel) {
  ChannelActivity a;
  auto totals = db_.query(
      "SELECT COALESCE(MAX(CASE WHEN state='sent' THEN sent_time END), 0), "
      "COALESCE(SUM(CASE WHEN state IN ('queued', 'rate_limited', 'sending') THEN 1 ELSE 0 "
      "END), 0)::bigint, "
      "COALESCE(SUM(CASE WHEN state='failed' THEN 1 ELSE 0 END), 0)::bigint "
      "FROM notifications WHERE channel=$1",
      {channel});
  if (!totals) return totals.error();
  if (!totals->empty()) {
    a.last_success = totals->int64(0, 0);
    a.waiting = totals->int64(0, 1);
    a.failed = totals->int64(0, 2);
  }
  auto last = db_.query(
      "SELECT last_attempt, last_error FROM notifications WHERE channel=$1 AND last_error<>'' "
      "ORDER BY last_attempt DESC, id DESC LIMIT 1",
      {channel});
  if (!last) return last.error();
  if (!last->empty()) {
    a.last_failure = last->int64(0, 0);
    a.last_error = last->text(0, 1);
  }
  return a;
}

core::Status PostgresStore::set_meter_contact(const std::string& serial, const MeterContact& c) {
  auto r = db_.query(
      "UPDATE meters SET contact_name=$1, contact_email=$2, contact_phone=$3 WHERE serial=$4",
      {c.name, c.email, c.phone, serial});
  if (!r) return r.error();
  if (r->affected() == 0)
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  return core::Ok{};
}

core::Status PostgresStore::set_user_contact(const std::string& name, const UserContact& c) {
  auto r = db_.query("UPDATE users SET email=$1, phone=$2 WHERE name=$3", {c.email, c.phone, name});
  if (!r) return r.error();
  if (r->affected() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Result<std::map<std::string, PrepaidNoticeState>> PostgresStore::prepaid_notice_states() {
  auto rows =
      db_.query("SELECT serial, announced_payment_id, low_sent, closed_sent FROM prepaid_notices");
  if (!rows) return rows.error();
  std::map<std::string, PrepaidNoticeState> out;
  for (int i = 0; i < rows->size(); ++i) {
    out[rows->text(i, 0)] =
        PrepaidNoticeState{rows->int64(i, 1), rows->int64(i, 2) != 0, rows->int64(i, 3) != 0};
  }
  return out;
}

core::Status PostgresStore::write_prepaid_notice_state(const std::string& serial,
                                                       const PrepaidNoticeState& s) {
  auto r = db_.query(
      "INSERT INTO prepaid_notices(serial, announced_payment_id, low_sent, closed_sent) "
      "VALUES($1, $2, $3, $4) ON CONFLICT(serial) DO UPDATE SET "
      "announced_payment_id=excluded.announced_payment_id, low_sent=excluded.low_sent, "
      "closed_sent=excluded.closed_sent",
      {serial, s.announced_payment_id, s.low_sent, s.closed_sent});
  if (!r) return r.error();
  return core::Ok{};
}

}  // namespace ml::server
