// `meterlogger-server notify`: the notification channels' status, a test message, the log of
// what was sent, retrying a failed message (server/notify/notifier.hpp); and the contacts the
// messages go to: `meters contact` and `users contact` (docs/server.md, "Notifications").
#include <cstdio>
#include <iostream>
#include <optional>

#include "common.hpp"
#include "core/bytes.hpp"
#include "platform/crypto/random.hpp"
#include "server/notify/notifier.hpp"

namespace ml::server_app {
namespace {

namespace notify = server::notify;

struct NotifyArgs {
  std::string channel;
  std::string to;
  std::string serial;
  std::string recipient;
  int limit = 20;
  std::int64_t id = 0;
  std::optional<std::string> name, email, phone;  // contacts: only what is given changes
};

void print_channels(const std::string& config_path) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  const auto statuses = ok(notify::channel_statuses(*store, config.notify));
  if (statuses.empty()) {
    std::cout << "no channels: add [[notify.channel]] to " << config.path
              << " (docs/server.md, \"Notifications\")\n";
    return;
  }
  for (const auto& s : statuses) {
    const auto& a = s.activity;
    std::cout << s.name << " (" << s.type << ", " << s.target << ")\n"
              << "  last sent:    " << utc(a.last_success) << "\n"
              << "  last failure: " << utc(a.last_failure)
              << (a.last_error.empty() ? "" : " (" + a.last_error + ")") << "\n"
              << "  waiting: " << a.waiting << ", failed: " << a.failed << "\n";
  }
}

void print_log(const std::string& config_path, const NotifyArgs& a) {
  auto store = open_store(config_from(config_path));
  server::NotificationFilter f;
  f.serial = a.serial;
  f.recipient = a.recipient;
  f.channel = a.channel;
  f.limit = a.limit;
  const auto rows = ok(store->notification_log(f));
  std::printf("%-6s %-20s %-12s %-10s %-24s %-8s %s\n", "id", "created", "state", "channel",
              "recipient", "attempts", "subject");
  for (const auto& n : rows) {
    std::printf("%-6lld %-20s %-12s %-10s %-24s %-8lld %s\n", static_cast<long long>(n.id),
                utc(n.created).c_str(),
                std::string(server::notification_state_name(n.state)).c_str(), n.channel.c_str(),
                n.recipient.c_str(), static_cast<long long>(n.attempts), n.subject.c_str());
    if (n.state == server::NotificationState::sent) {
      std::printf("       sent %s\n", utc(n.sent_time).c_str());
    } else if (n.state == server::NotificationState::queued ||
               n.state == server::NotificationState::rate_limited) {
      std::printf("       next attempt %s\n", utc(n.next_attempt).c_str());
    }
    if (!n.last_error.empty()) std::printf("       error: %s\n", n.last_error.c_str());
  }
}

void send_test(const std::string& config_path, const NotifyArgs& a) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  const std::int64_t now = unix_now();
  const std::string key = "test:" + a.channel + ":" + std::to_string(now) + ":" +
                          core::to_hex(ok(platform::random_bytes(4)));
  const auto queued = ok(
      notify::queue_notification(*store, config.notify,
                                 {key, a.channel, a.to, "", "MeterLogger test message",
                                  "This is a test message from meterlogger-server (notify test " +
                                      a.channel + ").\nIf you read this, the channel works."},
                                 now));
  notify::Notifier notifier(*store, config.notify, unix_now);
  const auto n = ok(notifier.send_now(queued.id));
  switch (n.state) {
    case server::NotificationState::sent:
      std::cout << "sent #" << n.id << " on " << a.channel << " to " << a.to << "\n";
      return;
    case server::NotificationState::rate_limited:
      fail("#" + std::to_string(n.id) + " is held by the rate limit for " + a.to + " until " +
           utc(n.next_attempt) + " (`run` sends it then)");
    default:
      fail("#" + std::to_string(n.id) + " not sent: " + n.last_error +
           (n.state == server::NotificationState::queued
                ? " (queued: `run` tries again from " + utc(n.next_attempt) + ")"
                : ""));
  }
}

void retry(const std::string& config_path, std::int64_t id) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  notify::Notifier notifier(*store, config.notify, unix_now);
  ok(notifier.retry(id));
  std::cout << "queued #" << id << " again: `run` sends it within " << config.notify.interval_s
            << " s\n";
}

void audit(server::ServerStore& store, const std::string& action, const std::string& serial,
           const std::string& detail) {
  const auto actor = cli_actor();
  ok(store.audit_admin({0, unix_now(), actor.name, actor.remote, action, serial, detail}));
}

std::string changed_fields(const NotifyArgs& a) {
  std::string out;
  if (a.name) out += "name ";
  if (a.email) out += "email ";
  if (a.phone) out += "phone ";
  if (!out.empty()) out.pop_back();
  return out;
}

void meter_contact(const std::string& config_path, const NotifyArgs& a) {
  auto store = open_store(config_from(config_path));
  auto m = ok(store->meter(a.serial));
  if (!m) fail("no meter " + a.serial);
  server::MeterContact c{m->contact_name, m->contact_email, m->contact_phone};
  if (a.name) c.name = *a.name;
  if (a.email) c.email = *a.email;
  if (a.phone) c.phone = *a.phone;
  if (!c.email.empty()) ok(notify::check_email_address(c.email));
  if (!c.phone.empty()) ok(notify::check_phone_number(c.phone));
  if (c.name.find_first_of("\r\n") != std::string::npos) fail("--name must be one line");
  if (a.name || a.email || a.phone) {
    ok(store->write_transaction([&]() -> core::Status {
      ML_TRY(store->set_meter_contact(a.serial, c));
      audit(*store, "meter.contact", a.serial, changed_fields(a));
      return core::Ok{};
    }));
  }
  std::cout << "meter " << a.serial << " contact: name \"" << c.name << "\", email \"" << c.email
            << "\", phone \"" << c.phone << "\"\n";
}

void user_contact(const std::string& config_path, const NotifyArgs& a) {
  auto store = open_store(config_from(config_path));
  auto u = ok(store->user(a.name.value_or("")));
  if (!u) fail("no user " + a.name.value_or(""));
  server::UserContact c{u->email, u->phone};
  if (a.email) c.email = *a.email;
  if (a.phone) c.phone = *a.phone;
  if (!c.email.empty()) ok(notify::check_email_address(c.email));
  if (!c.phone.empty()) ok(notify::check_phone_number(c.phone));
  if (a.email || a.phone) {
    ok(store->write_transaction([&]() -> core::Status {
      ML_TRY(store->set_user_contact(u->name, c));
      NotifyArgs fields;
      fields.email = a.email;
      fields.phone = a.phone;
      audit(*store, "user.contact", "", u->name + ": " + changed_fields(fields));
      return core::Ok{};
    }));
  }
  std::cout << "user " << u->name << " contact: email \"" << c.email << "\", phone \"" << c.phone
            << "\"\n";
}

}  // namespace

void add_notify_commands(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<NotifyArgs>();
  auto* notify = app.add_subcommand(
      "notify", "Notification channels: status, a test message, the log, retrying a message");
  notify->require_subcommand(1);
  notify->footer(
      "Channels are configured in [notify] of server.toml; `run` sends the queued messages\n"
      "(docs/server.md, \"Notifications\").\n\n"
      "Examples:\n"
      "  meterlogger-server notify channels\n"
      "  meterlogger-server notify test mail --to anna@example.org\n"
      "  meterlogger-server notify log --serial 6892850\n"
      "  meterlogger-server notify retry 42");

  auto* channels = notify->add_subcommand(
      "channels", "Each channel: where it sends, its last success and failure, what waits");
  channels->footer(
      "Secrets (passwords, HMAC secrets, tokens) are never shown.\n\nExample:\n"
      "  meterlogger-server notify channels");
  channels->callback([=, &config] { print_channels(config); });

  auto* test = notify->add_subcommand("test", "Queue one test message and send it now");
  test->add_option("channel", a->channel, "the channel's name ([[notify.channel]] name)")
      ->required();
  test->add_option("--to", a->to, "the recipient: an e-mail address, a phone number (+45...)")
      ->required();
  test->footer(
      "Says whether it was sent, or why not; a message not sent stays queued for `run` (the\n"
      "rate limit holds for tests too).\n\nExamples:\n"
      "  meterlogger-server notify test mail --to anna@example.org\n"
      "  meterlogger-server notify test sms --to +4512345678");
  test->callback([=, &config] { send_test(config, *a); });

  auto* logc = notify->add_subcommand("log", "What was sent or waits, newest first");
  as_serial(logc->add_option("--serial", a->serial, "only the messages about this meter"));
  logc->add_option("--to", a->recipient, "only the messages to this recipient");
  logc->add_option("--channel", a->channel, "only this channel's");
  logc->add_option("--limit", a->limit, "at most this many")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  logc->footer("Example:\n  meterlogger-server notify log --serial 6892850 --limit 10");
  logc->callback([=, &config] { print_log(config, *a); });

  auto* retry_cmd =
      notify->add_subcommand("retry", "Queue a failed message again (a fresh 48 h to deliver it)");
  retry_cmd->add_option("id", a->id, "the message's id (`notify log`)")->required();
  retry_cmd->footer("Example:\n  meterlogger-server notify retry 42");
  retry_cmd->callback([=, &config] { retry(config, a->id); });

  // Contacts, under the groups they belong to.
  if (auto* meters = app.get_subcommand("meters")) {
    auto* mc = meters->add_subcommand(
        "contact", "Show or set a meter's customer contact (the prepaid notices go there)");
    as_serial(mc->add_option("serial", a->serial, "the meter's serial")->required());
    mc->add_option("--name", a->name, "the customer's name (\"\": none)");
    mc->add_option("--email", a->email, "the customer's e-mail address (\"\": none)");
    mc->add_option("--phone", a->phone, "the customer's phone number, + and digits (\"\": none)");
    mc->footer(
        "Only the options given change; without any it shows the contact.\n\nExample:\n"
        "  meterlogger-server meters contact 6892850 --name \"Anna Hansen\" "
        "--email anna@example.org --phone +4512345678");
    mc->callback([=, &config] { meter_contact(config, *a); });
  }
  if (auto* users = app.get_subcommand("users")) {
    auto* uc = users->add_subcommand(
        "contact", "Show or set a user's e-mail and phone (an admin gets its groups' messages)");
    uc->add_option("name", a->name, "the login name")->required();
    uc->add_option("--email", a->email, "the e-mail address (\"\": none)");
    uc->add_option("--phone", a->phone, "the phone number, + and digits (\"\": none)");
    uc->footer(
        "Only the options given change; without any it shows the contact.\n\nExample:\n"
        "  meterlogger-server users contact anna --email anna@example.org "
        "--phone +4512345678");
    uc->callback([=, &config] { user_contact(config, *a); });
  }
}

}  // namespace ml::server_app
