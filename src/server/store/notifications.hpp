// The outbox of notifications and the contacts they go to: a focused part of the server's store
// (server/store.hpp). A backend only persists them; the rules (queueing with a dedupe key, the
// rate limit per recipient, the back-off, sending each message once) are backend-neutral, in
// server/notify/notifier.hpp. The table is also the log of what was sent (docs/server.md,
// "Notifications").
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/prepaid_notice.hpp"

namespace ml::server {

// queued: waits for next_attempt; sending: handed to its channel (a crash leaves it so);
// sent: the channel accepted it; failed: given up (too old, or interrupted on a channel where a
// duplicate would harm); rate_limited: its recipient had enough for now, waits for the window.
enum class NotificationState : std::uint8_t { queued, sending, sent, failed, rate_limited };

struct NotificationStateInfo {
  NotificationState state;
  std::string_view name;  // as stored and shown
};
inline constexpr std::array<NotificationStateInfo, 5> kNotificationStates{{
    {NotificationState::queued, "queued"},
    {NotificationState::sending, "sending"},
    {NotificationState::sent, "sent"},
    {NotificationState::failed, "failed"},
    {NotificationState::rate_limited, "rate_limited"},
}};
constexpr std::string_view notification_state_name(NotificationState s) {
  for (const auto& row : kNotificationStates)
    if (row.state == s) return row.name;
  return "?";
}
constexpr std::optional<NotificationState> notification_state_from_name(std::string_view name) {
  for (const auto& row : kNotificationStates)
    if (row.name == name) return row.state;
  return std::nullopt;
}

// One message in the outbox.
struct StoredNotification {
  std::int64_t id = 0;
  std::string dedupe_key;  // unique: the same key queued twice is stored once
  std::string channel;     // a [[notify.channel]] name
  std::string recipient;   // an address, a phone number; "" for a webhook
  std::string serial;      // the meter it is about, "" when none
  std::string subject;
  std::string body;
  std::int64_t created = 0;
  // When it was queued, or queued again by `notify retry`: it is given up give_up_after
  // ([notify]) from here.
  std::int64_t queued_at = 0;
  NotificationState state = NotificationState::queued;
  std::int64_t attempts = 0;
  std::int64_t next_attempt = 0;
  std::int64_t last_attempt = 0;  // 0: never tried
  std::string last_error;         // why the last attempt failed (never a secret); "" once sent
  std::int64_t sent_time = 0;     // 0: not sent
};

// Which messages a log shows: newest first, at most `limit`.
struct NotificationFilter {
  std::string serial;     // "": every meter's (and those about none)
  std::string recipient;  // "": every recipient's
  std::string channel;    // "": every channel's
  int limit = 50;
};

// A channel's state read from its messages.
struct ChannelActivity {
  std::int64_t last_success = 0;  // the newest sent_time, 0: none
  std::int64_t last_failure = 0;  // the newest failed attempt, 0: none
  std::string last_error;         // that attempt's error
  std::int64_t waiting = 0;       // queued, rate_limited or sending
  std::int64_t failed = 0;
};

// Who a meter's customer is (the customer notices go there); all optional ("").
struct MeterContact {
  std::string name;
  std::string email;
  std::string phone;
};
// How to reach a dashboard user (the "operators of the group" messages).
struct UserContact {
  std::string email;
  std::string phone;
};

class NotificationStore {
 public:
  virtual ~NotificationStore() = default;
  // Stores the message (its id ignored) unless one with its dedupe key is stored already:
  // the stored message's id, and whether this call stored it.
  struct Inserted {
    std::int64_t id = 0;
    bool inserted = false;
  };
  virtual core::Result<Inserted> insert_notification(const StoredNotification& n) = 0;
  // Writes what may change of message `n.id`: queued_at, state, attempts, next_attempt,
  // last_attempt, last_error, sent_time. Errc::invalid_argument when there is no such message.
  virtual core::Status update_notification(const StoredNotification& n) = 0;
  virtual core::Result<std::optional<StoredNotification>> notification(std::int64_t id) = 0;
  virtual core::Result<std::optional<StoredNotification>> notification_by_key(
      const std::string& dedupe_key) = 0;
  // Queued or rate-limited messages with next_attempt <= now, by next_attempt then id, at most
  // `limit`.
  virtual core::Result<std::vector<StoredNotification>> notifications_due(std::int64_t now,
                                                                          int limit) = 0;
  // The messages in `state`, oldest first.
  virtual core::Result<std::vector<StoredNotification>> notifications_in_state(
      NotificationState state) = 0;
  // When the messages to `recipient` (on any channel) sent at or after `since` were sent,
  // oldest first.
  virtual core::Result<std::vector<std::int64_t>> sent_times(const std::string& recipient,
                                                             std::int64_t since) = 0;
  // The log: newest (highest id) first.
  virtual core::Result<std::vector<StoredNotification>> notification_log(
      const NotificationFilter& filter) = 0;
  virtual core::Result<ChannelActivity> channel_activity(const std::string& channel) = 0;

  // Contacts. Errc::invalid_argument when there is no such meter or user.
  virtual core::Status set_meter_contact(const std::string& serial, const MeterContact& c) = 0;
  virtual core::Status set_user_contact(const std::string& name, const UserContact& c) = 0;

  // What each meter's customer was last told (server/prepaid_notice.hpp); a meter not in the map
  // has the all-zero state.
  virtual core::Result<std::map<std::string, PrepaidNoticeState>> prepaid_notice_states() = 0;
  virtual core::Status write_prepaid_notice_state(const std::string& serial,
                                                  const PrepaidNoticeState& state) = 0;
};

}  // namespace ml::server
