// What the notification channels send (server/notify/channels.hpp) and the delivery rules that
// need no peer (server/notify/notifier.hpp): the email's headers, RFC 2047 words, the webhook's
// signature, the SMS request, the back-off, queueing checks. tests/integration/notify_test.cpp
// sends to real peers.
#include <gtest/gtest.h>

#include "server/config.hpp"
#include "server/notify/channels.hpp"
#include "server/notify/notifier.hpp"
#include "server/sqlite/store.hpp"
#include "sim_support.hpp"

namespace ml::server::notify {
namespace {

StoredNotification message() {
  StoredNotification n;
  n.id = 7;
  n.dedupe_key = "alarm:1:1";
  n.channel = "mail";
  n.recipient = "anna@example.org";
  n.subject = "Varme \xC3\xA6\xC3\xB8\xC3\xA5";
  n.body = "a\nb";
  n.created = 1796290000;
  return n;
}

TEST(NotifyChannels, EncodedWordsOnlyForTextThatIsNotAscii) {
  EXPECT_EQ(encode_header_text("Low flow"), "Low flow");
  EXPECT_EQ(encode_header_text("a\r\nBcc: x"), "a  Bcc: x") << "one line";
  EXPECT_EQ(encode_header_text("\xC3\xA6"), "=?UTF-8?B?w6Y=?=");
  // A long text: words of at most 75 characters, never splitting a character, folded.
  std::string long_text;
  for (int i = 0; i < 40; ++i)
    long_text += "\xC3\xA6";
  const std::string encoded = encode_header_text(long_text);
  std::size_t start = 0;
  int words = 0;
  while (start < encoded.size()) {
    auto end = encoded.find("\r\n ", start);
    const std::string word =
        encoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u);
    ++words;
    start = end == std::string::npos ? encoded.size() : end + 3;
  }
  EXPECT_EQ(words, 2);  // 80 bytes: 44 + 36 (45 would split a character)
}

TEST(NotifyChannels, TheEmailHasItsHeaders) {
  EmailSettings s;
  s.from = "ml@example.org";
  s.from_name = "Loppen";
  const std::string m = email_message(s, message(), 1796290000);
  EXPECT_NE(m.find("Date: "), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <meterlogger.7.1796290000@example.org>\r\n"), std::string::npos);
  EXPECT_NE(m.find("From: \"Loppen\" <ml@example.org>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("To: <anna@example.org>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\n\r\nYQ0KYg==\r\n"), std::string::npos) << "base64 of a CRLF b";
}

TEST(NotifyChannels, TheWebhookSignatureCoversTheTimestampAndTheBody) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(webhook_signature("Jefe", 0, "what do ya want for nothing?").size(), 7u + 64u);
  const auto a = webhook_signature("secret-secret-16", 100, "{}");
  EXPECT_NE(a, webhook_signature("secret-secret-16", 101, "{}")) << "the timestamp is signed";
  EXPECT_NE(a, webhook_signature("secret-secret-16", 100, "{ }"));
  WebhookSettings w;
  w.url = "https://example.org/hook";
  w.secret = "secret-secret-16";
  const auto r = webhook_request(w, message(), 100);
  EXPECT_EQ(r.headers.at(3),
            "X-MeterLogger-Signature: " + webhook_signature(w.secret, 100, r.body));
  EXPECT_EQ(r.body.find(w.secret), std::string::npos);
}

TEST(NotifyChannels, TheSmsTextIsCutBetweenCharacters) {
  auto n = message();
  n.body = std::string(700, 'x');
  EXPECT_EQ(sms_text(n).size(), 640u);
  n.body.clear();
  EXPECT_EQ(sms_text(n), n.subject);
  n.subject = std::string(638, 'a');
  n.body = "\xC3\xA6\xC3\xA6";
  EXPECT_EQ(sms_text(n).size(), 639u) << "never half a character";
}

TEST(NotifyChannels, RetryDelaysDoubleUpToTheCap) {
  EXPECT_EQ(retry_delay(1, 60, 3600), 60);
  EXPECT_EQ(retry_delay(2, 60, 3600), 120);
  EXPECT_EQ(retry_delay(6, 60, 3600), 1920);
  EXPECT_EQ(retry_delay(7, 60, 3600), 3600);
  EXPECT_EQ(retry_delay(1000, 60, 3600), 3600);
}

TEST(NotifyChannels, QueueingChecksTheChannelAndTheRecipient) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("s.db")).value();
  auto config = parse_server_config(
                    "[database]\npath=\"x.db\"\n[mqtt]\nhost=\"h\"\n[[notify.channel]]\n"
                    "name=\"mail\"\ntype=\"email\"\nhost=\"h\"\nfrom=\"a@b.c\"\n",
                    "s.toml")
                    .value();
  Notification n{"k", "mail", "anna@example.org", "", "subject", "body"};
  auto q = queue_notification(*store, config.notify, n, 100);
  ASSERT_TRUE(q.ok()) << q.error().text();
  EXPECT_TRUE(q->queued);
  EXPECT_FALSE(queue_notification(*store, config.notify, n, 101).value().queued);
  auto bad = n;
  bad.channel = "sms";
  EXPECT_NE(queue_notification(*store, config.notify, bad, 100)
                .error()
                .text()
                .find("no channel \"sms\" in [notify]; configured: mail"),
            std::string::npos);
  bad = n;
  bad.recipient = "+4512345678";
  EXPECT_FALSE(queue_notification(*store, config.notify, bad, 100).ok());
  bad = n;
  bad.subject = "two\nlines";
  EXPECT_FALSE(queue_notification(*store, config.notify, bad, 100).ok());
  bad = n;
  bad.dedupe_key.clear();
  EXPECT_FALSE(queue_notification(*store, config.notify, bad, 100).ok());
  // The operators of a group: admins of it (or of every group) with an address.
  User admin;
  admin.name = "anna";
  admin.password_hash = "h";
  admin.role = Role::admin;
  admin.groups = {"Loppen"};
  ASSERT_TRUE(store->add_user(admin).ok());
  ASSERT_TRUE(store->set_user_contact("anna", {"anna@example.org", ""}).ok());
  User viewer = admin;
  viewer.name = "bo";
  viewer.role = Role::viewer;
  ASSERT_TRUE(store->add_user(viewer).ok());
  ASSERT_TRUE(store->set_user_contact("bo", {"bo@example.org", "+4511111111"}).ok());
  EXPECT_EQ(operator_recipients(*store, "Loppen", ChannelType::email).value(),
            std::vector<std::string>{"anna@example.org"});
  EXPECT_TRUE(operator_recipients(*store, "Loppen", ChannelType::sms).value().empty());
  EXPECT_TRUE(operator_recipients(*store, "Other", ChannelType::email).value().empty());
}

}  // namespace
}  // namespace ml::server::notify
