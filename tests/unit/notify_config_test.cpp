// The [notify] table of server.toml (server/notify/config.hpp): channels of each type, their
// secrets (from files, never in an error), the defaults, errors naming the key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "server/config.hpp"
#include "sim_support.hpp"

namespace ml::server::notify {
namespace {

constexpr std::string_view kBase = "[database]\npath = \"x.db\"\n[mqtt]\nhost = \"h\"\n";

core::Result<ServerConfig> parse(const std::string& notify, const std::string& path = "s.toml") {
  return parse_server_config(std::string(kBase) + notify, path);
}

TEST(NotifyConfig, DefaultsWithoutATable) {
  auto c = parse("").value();
  EXPECT_TRUE(c.notify.channels.empty());
  EXPECT_EQ(c.notify.rate_limit, 5);
  EXPECT_EQ(c.notify.rate_window_s, 3600);
  EXPECT_EQ(c.notify.retry_initial_s, 60);
  EXPECT_EQ(c.notify.retry_max_s, 3600);
  EXPECT_EQ(c.notify.give_up_after_s, 48 * 3600);
}

TEST(NotifyConfig, ChannelsOfEachType) {
  test::TempDir dir;
  const std::string secret = dir.file("hook.secret");
  std::ofstream(secret) << "0123456789abcdef0123\n";
  ::chmod(secret.c_str(), 0600);
  auto c = parse(R"([notify]
rate_limit = 3
[[notify.channel]]
name = "mail"
type = "email"
host = "smtp.example.org"
username = "ml"
password = "pw"
from = "meterlogger@example.org"
from_name = "MeterLogger"
[[notify.channel]]
name = "hook"
type = "webhook"
url = "https://example.org/hook"
secret_file = "hook.secret"
[[notify.channel]]
name = "sms"
type = "sms"
url = "https://gw.example/send?to={to}"
headers = { Authorization = "Bearer {token}" }
token = "tok"
body = '{"text": "{text}", "from": "{from}"}'
from = "Loppen"
)",
                 dir.file("s.toml"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->notify.channels.size(), 3u);
  EXPECT_EQ(c->notify.rate_limit, 3);
  const auto* mail = c->notify.channel("mail");
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->type, ChannelType::email);
  EXPECT_EQ(mail->email.port, 587) << "starttls's port by default";
  EXPECT_EQ(mail->email.security, SmtpSecurity::starttls);
  EXPECT_EQ(mail->email.password, "pw");
  const auto* hook = c->notify.channel("hook");
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(hook->webhook.secret, "0123456789abcdef0123");
  const auto* sms = c->notify.channel("sms");
  ASSERT_NE(sms, nullptr);
  EXPECT_EQ(sms->sms.method, "POST");
  EXPECT_EQ(sms->sms.body_type, BodyType::json);
  ASSERT_EQ(sms->sms.headers.size(), 1u);
  EXPECT_EQ(sms->sms.headers[0].first, "Authorization");
  EXPECT_TRUE(sms->sms.headers[0].second.uses(Placeholder::token));
  EXPECT_EQ(c->notify.channel("none"), nullptr);
}

TEST(NotifyConfig, ErrorsNameTheKeyAndNeverTheSecret) {
  const std::pair<std::string, std::string> bad[] = {
      {"[notify]\nrate_limit = -1\n", "notify.rate_limit: must be between 0"},
      {"[notify]\nretry_initial = 600\nretry_max = 60\n", "notify.retry_max: must not be below"},
      {"[notify]\nfoo = 1\n", "notify.foo: unknown setting"},
      {"[notify.channel]\nname = \"x\"\n", "notify.channel: write [[notify.channel]]"},
      {"[[notify.channel]]\nname = \"x\"\ntype = \"pigeon\"\n",
       "notify.channel[0].type: must be email, webhook or sms"},
      {"[[notify.channel]]\ntype = \"email\"\n", "notify.channel[0].name: required"},
      {"[[notify.channel]]\nname = \"m\"\ntype = \"email\"\nfrom = \"a@b\"\n",
       "notify.channel[0].host: required"},
      {"[[notify.channel]]\nname = \"m\"\ntype = \"email\"\nhost = \"h\"\nfrom = \"nobody\"\n",
       "notify.channel[0].from: \"nobody\" is not an e-mail address"},
      {"[[notify.channel]]\nname = \"m\"\ntype = \"email\"\nhost = \"h\"\nfrom = \"a@b\"\n"
       "security = \"ssl\"\n",
       "notify.channel[0].security: must be starttls, tls or none"},
      {"[[notify.channel]]\nname = \"m\"\ntype = \"email\"\nhost = \"h\"\nfrom = \"a@b\"\n"
       "password = \"hunter2hunter2\"\n",
       "notify.channel[0].username: required with a password"},
      {"[[notify.channel]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"ftp://x\"\n",
       "notify.channel[0].url: must start with http:// or https://"},
      {"[[notify.channel]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"https://x\"\n",
       "notify.channel[0].secret: required"},
      {"[[notify.channel]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
       "secret = \"short\"\n",
       "notify.channel[0].secret: must be at least 16"},
      {"[[notify.channel]]\nname = \"s\"\ntype = \"sms\"\nurl = \"https://gw/?to={to}\"\n",
       "notify.channel[0].url: the request must carry {to} and {text}"},
      {"[[notify.channel]]\nname = \"s\"\ntype = \"sms\"\nurl = \"https://gw/?to={to}&t={txt}\"\n",
       "notify.channel[0].url: unknown placeholder {txt}"},
      {"[[notify.channel]]\nname = \"s\"\ntype = \"sms\"\n"
       "url = \"https://gw/?to={to}&t={text}&k={token}\"\n",
       "notify.channel[0].token: required"},
      {"[[notify.channel]]\nname = \"s\"\ntype = \"sms\"\nmethod = \"GET\"\n"
       "url = \"https://gw/?to={to}\"\nbody = \"{text}\"\n",
       "notify.channel[0].body: a GET request has no body"},
      {"[[notify.channel]]\nname = \"s\"\ntype = \"sms\"\nurl = \"https://gw/?to={to}&t={text}\"\n"
       "headers = { \"Bad Name\" = \"x\" }\n",
       "notify.channel[0].headers.Bad Name: a header name"},
      {"[[notify.channel]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"https://x\"\n"
       "secret = \"0123456789abcdefXYZ\"\n[[notify.channel]]\nname = \"a\"\ntype = \"webhook\"\n"
       "url = \"https://x\"\nsecret = \"0123456789abcdefXYZ\"\n",
       "notify.channel[1].name: \"a\" is the name of an earlier channel"},
  };
  for (const auto& [text, message] : bad) {
    auto r = parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().detail.rfind(message, 0), 0u) << r.error().detail;
    EXPECT_EQ(r.error().detail.find("hunter2"), std::string::npos);
  }
}

TEST(NotifyConfig, RecipientsAreCheckedPerChannelType) {
  EXPECT_TRUE(check_recipient(ChannelType::email, "anna@example.org").ok());
  EXPECT_FALSE(check_recipient(ChannelType::email, "anna").ok());
  EXPECT_FALSE(check_recipient(ChannelType::email, "a@b\r\nBcc: x@y").ok());
  EXPECT_TRUE(check_recipient(ChannelType::sms, "+4512345678").ok());
  EXPECT_FALSE(check_recipient(ChannelType::sms, "+45 12 34 56 78").ok());
  EXPECT_TRUE(check_recipient(ChannelType::webhook, "").ok());
  EXPECT_FALSE(check_recipient(ChannelType::webhook, "a\nb").ok());
}

}  // namespace
}  // namespace ml::server::notify
