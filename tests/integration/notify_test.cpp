// Notification delivery against real peers (notify_peer.py: an aiosmtpd SMTP server, an HTTP
// receiver) on loopback ports: the email's headers and body, the webhook's signature checked
// here with OpenSSL, the SMS gateway's filled and escaped request, the rate limit, sending once,
// a mail server that is down and comes back (also across a restart of `run`), STARTTLS refused
// by a server without it, STARTTLS, implicit TLS and HTTPS against a throwaway CA (trusted through
// the channel's ca_file, refused without it). The channel code is the real one; only the clock of
// the in-process notifier is the test's.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "server/config.hpp"
#include "server/notify/notifier.hpp"
#include "server/sqlite/store.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;
namespace notify = server::notify;

std::unique_ptr<Process> start_peer(const TempDir& dir, const std::string& mode, int port,
                                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{ML_SYSTEM_PYTHON, ML_NOTIFY_PEER, mode, std::to_string(port),
                                dir.path().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv, dir.file(mode + "-peer.log"));
  EXPECT_TRUE(wait_for_port(port)) << p->log();
  return p;
}

std::string base64_decode(std::string text) {
  std::string clean;
  for (const char c : text)
    if (c != '\r' && c != '\n' && c != ' ') clean += c;
  std::string out(clean.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return "<not base64>";
  out.resize(static_cast<std::size_t>(n));
  while (!clean.empty() && clean.back() == '=') {  // EVP_DecodeBlock keeps the padding's zeros
    clean.pop_back();
    out.pop_back();
  }
  return out;
}

std::string hmac_hex(const std::string& key, const std::string& text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &len);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    out += buf;
  }
  return out;
}

// The records the peers wrote: mail-0, mail-1, ... (or http-).
std::vector<nlohmann::json> received(const TempDir& dir, const std::string& prefix) {
  std::vector<nlohmann::json> out;
  for (int i = 0;; ++i) {
    const std::string text = read_text_file(dir.file(prefix + std::to_string(i)));
    if (text.empty()) return out;
    out.push_back(nlohmann::json::parse(text));
  }
}

// A throwaway CA and a certificate for 127.0.0.1 it signed, made with the openssl command in
// `dir`: ca.pem (what a channel's ca_file names), server.pem and server.key (the peer's).
void make_certificates(const TempDir& dir) {
  std::ofstream(dir.file("ext.cnf")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::vector<std::vector<std::string>> steps{
      {"openssl",
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:prime256v1",
       "-nodes",
       "-keyout",
       dir.file("ca.key"),
       "-out",
       dir.file("ca.pem"),
       "-days",
       "2",
       "-subj",
       "/CN=MeterLogger test CA",
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir.file("server.key"), "-out", dir.file("server.csr"), "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", dir.file("server.csr"), "-CA", dir.file("ca.pem"),
       "-CAkey", dir.file("ca.key"), "-CAcreateserial", "-out", dir.file("server.pem"), "-days",
       "2", "-extfile", dir.file("ext.cnf")}};
  for (const auto& argv : steps) {
    const auto r = run(argv);
    ASSERT_EQ(r.status, 0) << argv[1] << ": " << r.err;
  }
}

constexpr const char* kSecret = "0123456789abcdef-webhook";

class Notify : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp_port_ = free_port();
    http_port_ = free_port();
    config_path_ = dir_.file("server.toml");
    std::ofstream(config_path_)
        << "log_level = \"debug\"\n[database]\npath = \"" << dir_.file("server.db")
        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << free_port()
        << "\n[notify]\nretry_initial = 1\nretry_max = 2\ninterval = 1\n"
        << "[[notify.channel]]\nname = \"mail\"\ntype = \"email\"\nhost = \"127.0.0.1\"\nport = "
        << smtp_port_
        << "\nsecurity = \"none\"\nfrom = \"meterlogger@example.org\"\nfrom_name = "
           "\"Varmev\xC3\xA6rket\"\n"
        << "[[notify.channel]]\nname = \"tlsmail\"\ntype = \"email\"\nhost = \"127.0.0.1\"\n"
           "port = "
        << smtp_port_
        << "\nsecurity = \"starttls\"\nfrom = \"meterlogger@example.org\"\n"
        // The TLS channels trust the test's CA (make_certificates); "smtps" does not.
        << "[[notify.channel]]\nname = \"startmail\"\ntype = \"email\"\nhost = \"127.0.0.1\"\n"
           "port = "
        << smtp_port_
        << "\nsecurity = \"starttls\"\nfrom = \"meterlogger@example.org\"\nca_file = \""
        << dir_.file("ca.pem") << "\"\n"
        << "[[notify.channel]]\nname = \"smtps-ca\"\ntype = \"email\"\nhost = \"127.0.0.1\"\n"
           "port = "
        << smtp_port_ << "\nsecurity = \"tls\"\nfrom = \"meterlogger@example.org\"\nca_file = \""
        << dir_.file("ca.pem") << "\"\n"
        << "[[notify.channel]]\nname = \"smtps\"\ntype = \"email\"\nhost = \"127.0.0.1\"\n"
           "port = "
        << smtp_port_ << "\nsecurity = \"tls\"\nfrom = \"meterlogger@example.org\"\n"
        << "[[notify.channel]]\nname = \"hooks\"\ntype = \"webhook\"\nurl = \"https://127.0.0.1:"
        << http_port_ << "/hook\"\nsecret = \"" << kSecret << "\"\nca_file = \""
        << dir_.file("ca.pem") << "\"\n"
        << "[[notify.channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:"
        << http_port_ << "/hook\"\nsecret = \"" << kSecret << "\"\n"
        << "[[notify.channel]]\nname = \"sms\"\ntype = \"sms\"\nurl = \"http://127.0.0.1:"
        << http_port_
        << "/send?to={to}&from={from}\"\nheaders = { Authorization = \"Bearer {token}\" }\n"
           "token = \"tok-123\"\nfrom = \"Loppen Varme\"\n"
           "body = '{\"message\": \"{text}\", \"recipients\": [\"{to}\"]}'\n";
    config_ = server::load_server_config(config_path_).value();
    store_ = server::SqliteStore::open(config_.database.path).value();
  }

  notify::Notifier notifier() {
    return notify::Notifier(*store_, config_.notify, [this] { return now_; });
  }
  std::int64_t queue(const std::string& key, const std::string& channel, const std::string& to,
                     const std::string& subject = "Varme: lav fremløbstemperatur",
                     const std::string& body = "Måler 6892850\nT1 er 41 °C.") {
    auto q = notify::queue_notification(*store_, config_.notify,
                                        {key, channel, to, "6892850", subject, body}, now_);
    EXPECT_TRUE(q.ok()) << q.error().text();
    return q.ok() ? q->id : 0;
  }
  server::StoredNotification stored(std::int64_t id) {
    return store_->notification(id).value().value();
  }

  TempDir dir_;
  int smtp_port_ = 0;
  int http_port_ = 0;
  std::string config_path_;
  server::ServerConfig config_;
  std::unique_ptr<server::SqliteStore> store_;
  std::int64_t now_ = 1796290000;
};

TEST_F(Notify, AnEmailArrivesWithItsHeadersAndBody) {
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  const auto id = queue("alarm:1:1", "mail", "anna@example.org");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_EQ(stored(id).state, server::NotificationState::sent) << stored(id).last_error;
  ASSERT_TRUE(wait_for_path(dir_.file("mail-0")));
  const auto mail = received(dir_, "mail-").at(0);
  EXPECT_EQ(mail["from"], "meterlogger@example.org");
  EXPECT_EQ(mail["to"], nlohmann::json::array({"anna@example.org"}));
  const std::string data = mail["data"];
  const auto split = data.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos) << data;
  const std::string headers = data.substr(0, split + 2);
  EXPECT_NE(headers.find("Date: "), std::string::npos) << headers;
  EXPECT_NE(headers.find(" +0000\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Message-ID: <meterlogger." + std::to_string(id) + "."),
            std::string::npos);
  EXPECT_NE(headers.find("@example.org>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("To: <anna@example.org>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("From: =?UTF-8?B?"), std::string::npos) << headers;
  EXPECT_NE(headers.find("<meterlogger@example.org>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos);
  // The subject is not ASCII: RFC 2047 encoded words.
  const auto s = headers.find("Subject: =?UTF-8?B?");
  ASSERT_NE(s, std::string::npos) << headers;
  std::string subject;
  for (std::size_t at = s; (at = headers.find("=?UTF-8?B?", at)) != std::string::npos;) {
    const auto end = headers.find("?=", at + 10);
    subject += base64_decode(headers.substr(at + 10, end - at - 10));
    at = end;
    if (headers.compare(end + 2, 3, "\r\n ") != 0) break;  // the last word of the subject
  }
  EXPECT_EQ(subject, "Varme: lav fremløbstemperatur");
  EXPECT_EQ(base64_decode(data.substr(split + 4)), "Måler 6892850\r\nT1 er 41 °C.");
}

TEST_F(Notify, TheSameMessageIsNeverSentTwice) {
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  const auto id = queue("alarm:7:1", "mail", "anna@example.org");
  EXPECT_EQ(queue("alarm:7:1", "mail", "anna@example.org"), id) << "the dedupe key";
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_EQ(n.run_due(), 0);
  EXPECT_EQ(n.send_now(id).value().state, server::NotificationState::sent);
  now_ += 7200;
  EXPECT_EQ(n.run_due(), 0);
  EXPECT_FALSE(n.retry(id).ok()) << "a sent message is not queued again";
  ASSERT_TRUE(wait_for_path(dir_.file("mail-0")));
  EXPECT_EQ(received(dir_, "mail-").size(), 1u);
  // Interrupted while sending: an email is not sent again at start (it may have gone out).
  const auto cut = queue("alarm:8:1", "mail", "anna@example.org");
  auto m = stored(cut);
  m.state = server::NotificationState::sending;
  ASSERT_TRUE(store_->update_notification(m).ok());
  EXPECT_EQ(n.recover_interrupted().value(), 1);
  EXPECT_EQ(stored(cut).state, server::NotificationState::failed);
  EXPECT_NE(stored(cut).last_error.find("notify retry " + std::to_string(cut)), std::string::npos);
  EXPECT_EQ(n.run_due(), 0);
  ASSERT_TRUE(n.retry(cut).ok());
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_TRUE(wait_for_path(dir_.file("mail-1")));
}

TEST_F(Notify, TheRateLimitHoldsTheSixthMessageOfAnHour) {
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  const std::int64_t start = now_;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(queue("alarm:9:" + std::to_string(i), "mail", "anna@example.org"));
    now_ += 60;
  }
  const auto other = queue("alarm:9:other", "mail", "bo@example.org");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 6) << "five to anna, one to bo";
  const auto held = stored(ids[5]);
  EXPECT_EQ(held.state, server::NotificationState::rate_limited);
  EXPECT_EQ(held.next_attempt, now_ + 3600) << "when the first of the five leaves the window";
  EXPECT_EQ(stored(other).state, server::NotificationState::sent);
  now_ += 3599;
  EXPECT_EQ(n.run_due(), 0);
  now_ += 1;
  EXPECT_GT(now_, start);
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_EQ(stored(ids[5]).state, server::NotificationState::sent);
  ASSERT_TRUE(wait_for_path(dir_.file("mail-6")));
  EXPECT_EQ(received(dir_, "mail-").size(), 7u);
}

TEST_F(Notify, AWebhookArrivesSignedOverTheTimestampAndTheBody) {
  auto peer = start_peer(dir_, "http", http_port_);
  const auto id = queue("alarm:2:1", "hook", "");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1) << stored(id).last_error;
  ASSERT_TRUE(wait_for_path(dir_.file("http-0")));
  const auto r = received(dir_, "http-").at(0);
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["path"], "/hook");
  const auto& h = r["headers"];
  EXPECT_EQ(h["Content-Type"], "application/json");
  EXPECT_EQ(h["X-MeterLogger-Timestamp"], std::to_string(now_));
  EXPECT_EQ(h["X-MeterLogger-Delivery"], "alarm%3A2%3A1");
  const std::string body = r["body"];
  EXPECT_EQ(h["X-MeterLogger-Signature"],
            "sha256=" + hmac_hex(kSecret, std::to_string(now_) + "." + body));
  EXPECT_NE(h["X-MeterLogger-Signature"],
            "sha256=" + hmac_hex("another secret!!", std::to_string(now_) + "." + body));
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["subject"], "Varme: lav fremløbstemperatur");
  EXPECT_EQ(j["body"], "Måler 6892850\nT1 er 41 °C.");
  EXPECT_EQ(j["serial"], "6892850");
  EXPECT_EQ(j["delivery"], "alarm:2:1");
  EXPECT_EQ(j["id"], id);
  // Interrupted while sending: a webhook is sent again (the receiver drops a repeated delivery).
  auto m = stored(id);
  m.state = server::NotificationState::sending;
  ASSERT_TRUE(store_->update_notification(m).ok());
  EXPECT_EQ(n.recover_interrupted().value(), 1);
  EXPECT_EQ(n.run_due(), 1);
  ASSERT_TRUE(wait_for_path(dir_.file("http-1")));
  EXPECT_EQ(received(dir_, "http-").at(1)["headers"]["X-MeterLogger-Delivery"], "alarm%3A2%3A1");
}

TEST_F(Notify, TheSmsRequestIsFilledAndEscapedPerPosition) {
  auto peer = start_peer(dir_, "http", http_port_);
  queue("prepaid:6892850:low:1", "sms", "+4512345678", "Lav saldo \"Loppen 12\"",
        "Ca. 3 dage & 12 kWh tilbage");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1);
  ASSERT_TRUE(wait_for_path(dir_.file("http-0")));
  const auto r = received(dir_, "http-").at(0);
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["path"], "/send?to=%2B4512345678&from=Loppen%20Varme") << "percent-encoded";
  EXPECT_EQ(r["headers"]["Authorization"], "Bearer tok-123");
  EXPECT_EQ(r["headers"]["Content-Type"], "application/json");
  const auto j = nlohmann::json::parse(std::string(r["body"]));  // JSON-escaped: it parses
  EXPECT_EQ(j["message"], "Lav saldo \"Loppen 12\"\nCa. 3 dage & 12 kWh tilbage");
  EXPECT_EQ(j["recipients"], nlohmann::json::array({"+4512345678"}));
}

TEST_F(Notify, AGatewayAnsweringAnErrorKeepsTheMessageQueuedWithTheStatus) {
  auto peer = start_peer(dir_, "http", http_port_, {"503"});
  const auto id = queue("prepaid:1", "sms", "+4512345678");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 0);
  const auto m = stored(id);
  EXPECT_EQ(m.state, server::NotificationState::queued);
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.next_attempt, now_ + 1) << "retry_initial";
  EXPECT_NE(m.last_error.find("HTTP 503"), std::string::npos) << m.last_error;
  EXPECT_EQ(m.last_error.find("tok-123"), std::string::npos) << "never the token";
  now_ += 1;
  EXPECT_EQ(n.run_due(), 0);
  EXPECT_EQ(stored(id).next_attempt, now_ + 2) << "doubled";
  now_ += config_.notify.give_up_after_s;
  EXPECT_EQ(n.run_due(), 0);
  EXPECT_EQ(stored(id).state, server::NotificationState::failed);
  EXPECT_NE(stored(id).last_error.find("not sent within 48 h"), std::string::npos);
}

TEST_F(Notify, StartTlsAgainstAServerWithoutItFailsClearly) {
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  const auto id = queue("t:1", "tlsmail", "anna@example.org");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 0);
  const auto m = stored(id);
  EXPECT_EQ(m.state, server::NotificationState::queued);
  EXPECT_NE(m.last_error.find("SMTP 127.0.0.1:" + std::to_string(smtp_port_)), std::string::npos);
  EXPECT_NE(m.last_error.find("STARTTLS"), std::string::npos) << m.last_error;
  EXPECT_TRUE(received(dir_, "mail-").empty()) << "nothing went out in clear text";
}

TEST_F(Notify, StartTlsWithTheChannelsCaDeliversAndWithoutItFailsOnTheCertificate) {
  make_certificates(dir_);
  auto peer = start_peer(dir_, "smtp", smtp_port_,
                         {"starttls", dir_.file("server.pem"), dir_.file("server.key")});
  const auto id = queue("t:2", "startmail", "anna@example.org");
  const auto untrusted = queue("t:3", "tlsmail", "anna@example.org");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_EQ(stored(id).state, server::NotificationState::sent) << stored(id).last_error;
  ASSERT_TRUE(wait_for_path(dir_.file("mail-0")));
  const auto mails = received(dir_, "mail-");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["tls"], true) << "sent after STARTTLS";
  EXPECT_EQ(mails[0]["to"], nlohmann::json::array({"anna@example.org"}));
  const auto m = stored(untrusted);
  EXPECT_EQ(m.state, server::NotificationState::queued);
  EXPECT_NE(m.last_error.find("certificate"), std::string::npos) << m.last_error;
  EXPECT_NE(m.last_error.find("ca_file"), std::string::npos) << m.last_error;
}

TEST_F(Notify, ImplicitTlsWithTheChannelsCaDeliversAndWithoutItFailsOnTheCertificate) {
  make_certificates(dir_);
  auto peer = start_peer(dir_, "smtp", smtp_port_,
                         {"tls", dir_.file("server.pem"), dir_.file("server.key")});
  const auto id = queue("t:4", "smtps-ca", "anna@example.org");
  const auto untrusted = queue("t:5", "smtps", "anna@example.org");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1);
  EXPECT_EQ(stored(id).state, server::NotificationState::sent) << stored(id).last_error;
  ASSERT_TRUE(wait_for_path(dir_.file("mail-0")));
  const auto mails = received(dir_, "mail-");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["tls"], true) << "TLS from the first byte";
  const std::string data = mails[0]["data"];
  EXPECT_NE(data.find("To: <anna@example.org>"), std::string::npos) << data;
  const auto m = stored(untrusted);
  EXPECT_EQ(m.state, server::NotificationState::queued);
  EXPECT_NE(m.last_error.find("SMTP 127.0.0.1:" + std::to_string(smtp_port_)), std::string::npos);
  EXPECT_NE(m.last_error.find("certificate"), std::string::npos) << m.last_error;
}

TEST_F(Notify, AWebhookOverHttpsTrustsTheChannelsCa) {
  make_certificates(dir_);
  auto peer = start_peer(dir_, "http", http_port_,
                         {"200", dir_.file("server.pem"), dir_.file("server.key")});
  const auto id = queue("alarm:4:1", "hooks", "");
  auto n = notifier();
  EXPECT_EQ(n.run_due(), 1) << stored(id).last_error;
  EXPECT_EQ(stored(id).state, server::NotificationState::sent) << stored(id).last_error;
  ASSERT_TRUE(wait_for_path(dir_.file("http-0")));
  const auto r = received(dir_, "http-").at(0);
  EXPECT_EQ(r["path"], "/hook");
  EXPECT_EQ(r["headers"]["X-MeterLogger-Delivery"], "alarm%3A4%3A1");
}

TEST_F(Notify, RunKeepsAMessageWhileTheMailServerIsDownAndSendsItOnceItIsBack) {
  // `run` reads the wall clock: a message queued at the fixture's fixed time would be older than
  // give_up_after once that time is two days past, and given up instead of tried.
  now_ = std::time(nullptr);
  const auto id = queue("alarm:3:1", "mail", "anna@example.org");
  store_.reset();
  {
    Process server({ML_SERVER_BIN, "--config", config_path_, "run"}, dir_.file("run-1.log"));
    ASSERT_TRUE(wait_for_log(server, "#" + std::to_string(id) + " on mail not sent (attempt 1)"))
        << server.log();
    EXPECT_EQ(server.stop(), 0) << server.log();
  }
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  {
    Process server({ML_SERVER_BIN, "--config", config_path_, "run"}, dir_.file("run-2.log"));
    ASSERT_TRUE(wait_for_path(dir_.file("mail-0"), scaled(20s))) << server.log();
    ASSERT_TRUE(wait_for_log(server, "sent #" + std::to_string(id))) << server.log();
    EXPECT_EQ(server.stop(), 0) << server.log();
  }
  auto log = run({ML_SERVER_BIN, "--config", config_path_, "notify", "log", "--serial", "6892850"});
  EXPECT_EQ(log.status, 0) << log.err;
  EXPECT_NE(log.out.find(" sent "), std::string::npos) << log.out;
  auto channels = run({ML_SERVER_BIN, "--config", config_path_, "notify", "channels"});
  EXPECT_EQ(channels.status, 0) << channels.err;
  EXPECT_NE(channels.out.find("mail (email, 127.0.0.1:" + std::to_string(smtp_port_) + " (none))"),
            std::string::npos)
      << channels.out;
  EXPECT_EQ(channels.out.find(kSecret), std::string::npos) << "no secrets";
  EXPECT_EQ(channels.out.find("tok-123"), std::string::npos) << "no secrets";
  EXPECT_EQ(received(dir_, "mail-").size(), 1u);
}

TEST_F(Notify, TheTestCommandSaysWhatHappened) {
  auto down = run({ML_SERVER_BIN, "--config", config_path_, "notify", "test", "mail", "--to",
                   "anna@example.org"});
  EXPECT_NE(down.status, 0);
  EXPECT_NE(down.err.find("not sent: SMTP 127.0.0.1"), std::string::npos) << down.err;
  auto peer = start_peer(dir_, "smtp", smtp_port_);
  auto up = run({ML_SERVER_BIN, "--config", config_path_, "notify", "test", "mail", "--to",
                 "anna@example.org"});
  EXPECT_EQ(up.status, 0) << up.err;
  EXPECT_NE(up.out.find("sent #2 on mail to anna@example.org"), std::string::npos) << up.out;
  auto bad = run({ML_SERVER_BIN, "--config", config_path_, "notify", "test", "nope", "--to", "x"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("no channel \"nope\""), std::string::npos) << bad.err;
}

TEST_F(Notify, AlarmRulesNameTheirRecipientsAndChannels) {
  store_.reset();
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ML_SERVER_BIN, "--config", config_path_});
    return run(args);
  };
  auto add = cli({"alarms", "add", "leak", "flow1>0 m3/h", "--group", "Loppen", "--to",
                  "operators,customer", "--channel", "mail,sms"});
  EXPECT_EQ(add.status, 0) << add.err;
  EXPECT_NE(add.out.find("added alarm rule 1"), std::string::npos) << add.out;
  auto pager = cli({"alarms", "add", "x", "t1 > 95 C", "--channel", "mail,pager"});
  EXPECT_NE(pager.status, 0);
  EXPECT_NE(pager.err.find("\"pager\" is not a [[notify.channel]]"), std::string::npos)
      << pager.err;
  EXPECT_NE(pager.err.find("configured: mail, tlsmail, "), std::string::npos) << pager.err;
  auto janitor = cli({"alarms", "add", "x", "t1 > 95 C", "--to", "janitor"});
  EXPECT_NE(janitor.status, 0);
  EXPECT_NE(janitor.err.find("--to \"janitor\""), std::string::npos) << janitor.err;
  auto rules = cli({"alarms", "rules"});
  EXPECT_EQ(rules.status, 0) << rules.err;
  EXPECT_NE(rules.out.find("flow1 > 0 m3/h"), std::string::npos) << rules.out;
  EXPECT_NE(rules.out.find("to operators,customer on mail,sms"), std::string::npos) << rules.out;
  // edit: only what is given changes.
  auto edit =
      cli({"alarms", "edit", "1", "--to", "customer", "--channel", "", "--severity", "critical"});
  EXPECT_EQ(edit.status, 0) << edit.err;
  EXPECT_NE(edit.out.find("changed alarm rule 1"), std::string::npos) << edit.out;
  rules = cli({"alarms", "rules"});
  EXPECT_NE(rules.out.find("to customer on every channel"), std::string::npos) << rules.out;
  EXPECT_NE(rules.out.find("critical"), std::string::npos) << rules.out;
  EXPECT_NE(rules.out.find("Loppen"), std::string::npos) << rules.out;
  EXPECT_NE(rules.out.find("leak"), std::string::npos) << rules.out;
  EXPECT_NE(rules.out.find("flow1 > 0 m3/h"), std::string::npos) << rules.out;
  auto nothing = cli({"alarms", "edit", "1"});
  EXPECT_NE(nothing.status, 0);
  EXPECT_NE(nothing.err.find("nothing to change"), std::string::npos) << nothing.err;
  auto broken = cli({"alarms", "edit", "1", "--rule", "t1 > 95 kWh"});
  EXPECT_NE(broken.status, 0);
  EXPECT_NE(broken.err.find("rule:"), std::string::npos) << broken.err;
  auto missing = cli({"alarms", "edit", "99", "--name", "x"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("no alarm rule 99"), std::string::npos) << missing.err;
  auto help = cli({"alarms", "edit", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--channel"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("alarms edit 3 --to operators,customer"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace ml::test
