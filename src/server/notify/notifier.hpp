// Notification delivery (docs/server.md, "Notifications"). The alarm engine and the prepaid
// notices hand a message over with queue_notification; the Notifier sends what is due on its
// channel, each message once: it is marked "sending" in a transaction before it goes out and
// "sent" after. A message interrupted between the two (the server stopped) is sent again at
// start only on a channel where a duplicate is harmless (the webhook: the receiver drops a
// repeated delivery id); elsewhere it is marked failed and `notify retry` sends it again. Over
// the rate limit a message stays (state rate_limited) until its recipient's window allows it; a
// failure is retried after 60 s, doubling to 1 h; a message not sent within give_up_after of
// being queued fails. Backend-neutral: it uses the store's interface only.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/notify/config.hpp"
#include "server/store.hpp"

namespace ml::server::notify {

// The hand-off: one message to one recipient on one channel.
struct Notification {
  // Unique per message: the same key queued again is stored once (a second alarm evaluation
  // of the same episode queues nothing new). Conventions: "alarm:<episode>:<n>",
  // "prepaid:<serial>:<what>:<time>", "test:<channel>:<time>:<random>".
  std::string dedupe_key;
  std::string channel;    // a [[notify.channel]] name
  std::string recipient;  // an e-mail address (email), a phone number (sms), any or "" (webhook)
  std::string serial;     // the meter it is about, "" when none (the log filters on it)
  std::string subject;    // plain text, UTF-8, one line
  std::string body;       // plain text, UTF-8
};

inline constexpr std::size_t kMaxSubject = 200;  // bytes
inline constexpr std::size_t kMaxBody = 16384;   // bytes
inline constexpr std::size_t kMaxDedupeKey = 200;

struct Queued {
  std::int64_t id = 0;
  bool queued = false;  // false: a message with this dedupe key was queued before
};

// Checks the message (a configured channel, a recipient that suits it, sizes) and stores it
// queued, due now. Safe inside the caller's write_transaction.
core::Result<Queued> queue_notification(ServerStore& store, const NotifyConfig& config,
                                        const Notification& n, std::int64_t now);

// The wait before retry `attempt` (1, 2, ...): initial, doubling, at most max.
std::int64_t retry_delay(std::int64_t attempt, std::int64_t initial, std::int64_t max);

// Who gets "operators of the group" messages: the e-mail addresses (ChannelType::email) or phone
// numbers (sms) of the admins whose groups include `group` (or "*"), that have one.
core::Result<std::vector<std::string>> operator_recipients(ServerStore& store,
                                                           const std::string& group,
                                                           ChannelType type);

// A channel as `notify channels` and a status page show it: never a secret.
struct ChannelStatus {
  std::string name;
  std::string type;
  std::string target;  // "smtp.example.org:587 (starttls)", the webhook's host, the gateway's
  ChannelActivity activity;
};
core::Result<std::vector<ChannelStatus>> channel_statuses(ServerStore& store,
                                                          const NotifyConfig& config);

class Notifier {
 public:
  using Now = std::function<std::int64_t()>;
  Notifier(ServerStore& store, const NotifyConfig& config, Now now);

  // The messages left "sending" by a stop in the middle (see above): queued again or failed.
  // Returns how many were found.
  core::Result<int> recover_interrupted();
  // Sends every due message (at most `limit`); returns how many went out.
  int run_due(int limit = 50);
  // Sends message `id` now if it is queued or rate-limited (the rate limit still holds):
  // returns it as it is afterwards.
  core::Result<StoredNotification> send_now(std::int64_t id);
  // Queues a failed (or waiting) message again, due now, with a fresh give-up horizon.
  core::Status retry(std::int64_t id);

  // Drives run_due on `executor` every interval until stop(). The sends block: give it an
  // executor of its own (cmd_run.cpp runs it on a thread of its own with its own store).
  core::Status start(asio::any_io_executor executor);
  void stop();

  std::uint64_t sent() const { return sent_; }

 private:
  // One attempt at `n`; `forced`: not waiting for next_attempt.
  void attempt(StoredNotification n);
  void tick();

  ServerStore& store_;
  const NotifyConfig& config_;
  Now now_;
  std::unique_ptr<asio::steady_timer> timer_;
  std::atomic<bool> stopping_{false};
  bool running_ = false;
  std::uint64_t sent_ = 0;
};

}  // namespace ml::server::notify
