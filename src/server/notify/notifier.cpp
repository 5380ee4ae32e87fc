// Notification delivery (notifier.hpp): queueing, the rate limit, the back-off, sending once.
#include "server/notify/notifier.hpp"

#include <algorithm>

#include "platform/log/log.hpp"
#include "server/notify/channels.hpp"
#include "server/notify/curl.hpp"

namespace ml::server::notify {

namespace log = platform::log;

namespace {

core::Error invalid(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

std::string configured_names(const NotifyConfig& config) {
  std::string out;
  for (const auto& c : config.channels)
    out += (out.empty() ? "" : ", ") + c.name;
  return out.empty() ? "none (add [[notify.channel]] to server.toml)" : out;
}

// "https://host[:port]" of a URL (template): never its path or query, which may hold a token.
std::string origin(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "?";
  const auto end = url.find_first_of("/?#", scheme + 3);
  std::string out(url.substr(0, end));
  const auto at = out.find('@', scheme + 3);  // user:password@host
  if (at != std::string::npos) out.erase(scheme + 3, at + 1 - (scheme + 3));
  return out;
}

}  // namespace

std::int64_t retry_delay(std::int64_t attempt, std::int64_t initial, std::int64_t max) {
  std::int64_t d = initial;
  for (std::int64_t i = 1; i < attempt && d < max; ++i)
    d *= 2;
  return std::min(d, max);
}

core::Result<Queued> queue_notification(ServerStore& store, const NotifyConfig& config,
                                        const Notification& n, std::int64_t now) {
  const ChannelConfig* channel = config.channel(n.channel);
  if (channel == nullptr) {
    return invalid("no channel \"" + n.channel +
                   "\" in [notify]; configured: " + configured_names(config));
  }
  if (auto r = check_recipient(channel->type, n.recipient); !r) {
    return invalid("channel " + n.channel + ": " + r.error().text());
  }
  if (n.dedupe_key.empty() || n.dedupe_key.size() > kMaxDedupeKey) {
    return invalid("a notification's dedupe key must be 1 to " + std::to_string(kMaxDedupeKey) +
                   " bytes");
  }
  for (const char c : n.dedupe_key) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return invalid("a notification's dedupe key may not hold control characters");
    }
  }
  if (n.subject.empty() || n.subject.size() > kMaxSubject ||
      n.subject.find_first_of("\r\n") != std::string::npos) {
    return invalid("a notification's subject must be one line of 1 to " +
                   std::to_string(kMaxSubject) + " bytes");
  }
  if (n.body.size() > kMaxBody) {
    return invalid("a notification's body is at most " + std::to_string(kMaxBody) + " bytes");
  }
  StoredNotification s;
  s.dedupe_key = n.dedupe_key;
  s.channel = n.channel;
  s.recipient = n.recipient;
  s.serial = n.serial;
  s.subject = n.subject;
  s.body = n.body;
  s.created = now;
  s.queued_at = now;
  s.state = NotificationState::queued;
  s.next_attempt = now;
  auto stored = store.insert_notification(s);
  if (!stored) return stored.error();
  return Queued{stored->id, stored->inserted};
}

core::Result<std::vector<std::string>> operator_recipients(ServerStore& store,
                                                           const std::string& group,
                                                           ChannelType type) {
  auto users = store.users();
  if (!users) return users.error();
  std::vector<std::string> out;
  for (const auto& u : *users) {
    if (u.role != Role::admin) continue;
    const bool in_group = std::any_of(u.groups.begin(), u.groups.end(),
                                      [&](const std::string& g) { return g == "*" || g == group; });
    if (!in_group) continue;
    const std::string& to = type == ChannelType::sms ? u.phone : u.email;
    if (type == ChannelType::webhook || to.empty()) continue;
    if (std::find(out.begin(), out.end(), to) == out.end()) out.push_back(to);
  }
  return out;
}

core::Result<std::vector<ChannelStatus>> channel_statuses(ServerStore& store,
                                                          const NotifyConfig& config) {
  std::vector<ChannelStatus> out;
  for (const auto& c : config.channels) {
    ChannelStatus s;
    s.name = c.name;
    s.type = std::string(channel_type_info(c.type).name);
    switch (c.type) {
      case ChannelType::email:
        for (const auto& row : kSmtpSecurities) {
          if (row.security == c.email.security) {
            s.target = c.email.host + ":" + std::to_string(c.email.port) + " (" +
                       std::string(row.name) + ")";
          }
        }
        break;
      case ChannelType::webhook:
        s.target = origin(c.webhook.url);
        break;
      case ChannelType::sms:
        s.target = c.sms.method + " " + origin(c.sms.url.source());
        break;
    }
    auto a = store.channel_activity(c.name);
    if (!a) return a.error();
    s.activity = *a;
    out.push_back(std::move(s));
  }
  return out;
}

Notifier::Notifier(ServerStore& store, const NotifyConfig& config, Now now)
    : store_(store), config_(config), now_(std::move(now)) {}

core::Result<int> Notifier::recover_interrupted() {
  auto sending = store_.notifications_in_state(NotificationState::sending);
  if (!sending) return sending.error();
  const std::int64_t now = now_();
  for (auto n : *sending) {
    const ChannelConfig* c = config_.channel(n.channel);
    if (c != nullptr && channel_type_info(c->type).resend_interrupted) {
      n.state = NotificationState::queued;
      n.next_attempt = now;
      n.last_error = "interrupted while sending (the server stopped): sent again";
    } else {
      n.state = NotificationState::failed;
      n.last_error =
          "interrupted while sending (the server stopped): it may have gone out; "
          "`meterlogger-server notify retry " +
          std::to_string(n.id) + "` sends it again";
    }
    ML_TRY(store_.update_notification(n));
    log::warning("notify: #" + std::to_string(n.id) + " on " + n.channel + ": " + n.last_error);
  }
  return static_cast<int>(sending->size());
}

void Notifier::attempt(StoredNotification n) {
  const std::int64_t now = now_();
  const ChannelConfig* channel = config_.channel(n.channel);
  bool go = false;
  StoredNotification taken;
  auto taking = store_.write_transaction([&]() -> core::Status {
    auto fresh = store_.notification(n.id);
    if (!fresh) return fresh.error();
    if (!*fresh) return core::Ok{};
    taken = **fresh;
    if (taken.state != NotificationState::queued &&
        taken.state != NotificationState::rate_limited) {
      return core::Ok{};  // taken by another sender, or done
    }
    if (channel == nullptr) {
      taken.state = NotificationState::failed;
      taken.last_error = "no channel \"" + taken.channel +
                         "\" in [notify] (server.toml): add it, then `notify retry " +
                         std::to_string(taken.id) + "`";
      return store_.update_notification(taken);
    }
    if (now - taken.queued_at >= config_.give_up_after_s) {
      taken.state = NotificationState::failed;
      taken.last_error = "not sent within " + std::to_string(config_.give_up_after_s / 3600) +
                         " h" + (taken.last_error.empty() ? "" : ": " + taken.last_error);
      return store_.update_notification(taken);
    }
    if (channel_type_info(channel->type).rate_limited && config_.rate_limit > 0 &&
        !taken.recipient.empty()) {
      auto times = store_.sent_times(taken.recipient, now - config_.rate_window_s + 1);
      if (!times) return times.error();
      const auto limit = static_cast<std::size_t>(config_.rate_limit);
      if (times->size() >= limit) {
        taken.state = NotificationState::rate_limited;
        taken.next_attempt = (*times)[times->size() - limit] + config_.rate_window_s;
        return store_.update_notification(taken);
      }
    }
    taken.state = NotificationState::sending;
    taken.attempts += 1;
    taken.last_attempt = now;
    go = true;
    return store_.update_notification(taken);
  });
  if (!taking) {
    log::error("notify: #" + std::to_string(n.id) + ": " + taking.error().text());
    return;
  }
  if (!go) {
    if (taken.state == NotificationState::failed) {
      log::warning("notify: #" + std::to_string(taken.id) + " failed: " + taken.last_error);
    }
    return;
  }
  auto sent = send_on(*channel, taken, now);
  const std::int64_t after = now_();
  if (sent) {
    taken.state = NotificationState::sent;
    taken.sent_time = after;
    taken.last_error.clear();
    ++sent_;
    log::info("notify: sent #" + std::to_string(taken.id) + " on " + taken.channel +
              (taken.recipient.empty() ? "" : " to " + taken.recipient));
  } else {
    taken.state = NotificationState::queued;
    taken.last_error = sent.error().text();
    taken.next_attempt =
        after + retry_delay(taken.attempts, config_.retry_initial_s, config_.retry_max_s);
    log::warning("notify: #" + std::to_string(taken.id) + " on " + taken.channel +
                 " not sent (attempt " + std::to_string(taken.attempts) + "): " + taken.last_error);
  }
  if (auto s = store_.update_notification(taken); !s) {
    log::error("notify: #" + std::to_string(taken.id) + ": " + s.error().text());
  }
}

int Notifier::run_due(int limit) {
  auto due = store_.notifications_due(now_(), limit);
  if (!due) {
    log::error("notify: " + due.error().text());
    return 0;
  }
  const auto before = sent_;
  for (auto& n : *due) {
    if (stopping_) break;
    attempt(std::move(n));
  }
  return static_cast<int>(sent_ - before);
}

core::Result<StoredNotification> Notifier::send_now(std::int64_t id) {
  auto n = store_.notification(id);
  if (!n) return n.error();
  if (!*n) return invalid("no notification #" + std::to_string(id));
  attempt(**n);
  auto after = store_.notification(id);
  if (!after) return after.error();
  if (!*after) return invalid("no notification #" + std::to_string(id));
  return **after;
}

core::Status Notifier::retry(std::int64_t id) {
  return store_.write_transaction([&]() -> core::Status {
    auto n = store_.notification(id);
    if (!n) return n.error();
    if (!*n) return invalid("no notification #" + std::to_string(id));
    StoredNotification m = **n;
    if (m.state == NotificationState::sent) {
      return invalid("notification #" + std::to_string(id) +
                     " was sent already; queue a new message to send it again");
    }
    if (m.state == NotificationState::sending) {
      return invalid("notification #" + std::to_string(id) + " is being sent now");
    }
    const std::int64_t now = now_();
    m.state = NotificationState::queued;
    m.next_attempt = now;
    m.queued_at = now;
    return store_.update_notification(m);
  });
}

core::Status Notifier::start(asio::any_io_executor executor) {
  auto found = recover_interrupted();
  if (!found) return found.error();
  set_abort_flag(&stopping_);
  timer_ = std::make_unique<asio::steady_timer>(executor);
  running_ = true;
  tick();
  return core::Ok{};
}

void Notifier::stop() {
  stopping_ = true;  // thread-safe: the transfer in progress ends within a second
}

void Notifier::tick() {
  if (stopping_) return;
  run_due();
  if (stopping_) return;
  timer_->expires_after(std::chrono::seconds(config_.interval_s));
  timer_->async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace ml::server::notify
