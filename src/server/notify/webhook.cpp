// The webhook channel: a JSON POST signed with HMAC-SHA256 over the timestamp and the body
// (channels.hpp; how a receiver checks it: docs/server.md, "Notifications").
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "core/ascii.hpp"
#include "server/notify/channels.hpp"

namespace ml::server::notify {

std::string webhook_body(const StoredNotification& n) {
  nlohmann::json j;
  j["delivery"] = n.dedupe_key;
  j["id"] = n.id;
  j["channel"] = n.channel;
  j["recipient"] = n.recipient;
  j["serial"] = n.serial;
  j["subject"] = n.subject;
  j["body"] = n.body;
  j["created"] = n.created;
  // Invalid UTF-8 is replaced rather than refused: the message still goes out.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body) {
  const std::string signed_text = std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0F];
  }
  return out;
}

HttpRequest webhook_request(const WebhookSettings& s, const StoredNotification& n,
                            std::int64_t now) {
  HttpRequest r;
  r.method = "POST";
  r.url = s.url;
  r.ca_file = s.ca_file;
  r.body = webhook_body(n);
  r.headers = {
      "Content-Type: application/json",
      std::string(kDeliveryHeader) + ": " + core::percent_encode(n.dedupe_key),
      std::string(kTimestampHeader) + ": " + std::to_string(now),
      std::string(kSignatureHeader) + ": " + webhook_signature(s.secret, now, r.body),
  };
  return r;
}

core::Status http_success(const core::Result<HttpResponse>& response) {
  if (!response) return response.error();
  if (response->status >= 200 && response->status < 300) return core::Ok{};
  std::string first = response->body.substr(0, response->body.find('\n'));
  if (first.size() > 200) first.resize(200);
  for (char& c : first)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return core::make_error(core::Errc::notify_failure, "HTTP " + std::to_string(response->status) +
                                                          (first.empty() ? "" : ": " + first));
}

core::Status send_webhook(const WebhookSettings& s, const StoredNotification& n, std::int64_t now) {
  auto done = http_success(http_request(webhook_request(s, n, now)));
  if (!done) {
    return core::make_error(core::Errc::notify_failure, "webhook: " + done.error().text());
  }
  return core::Ok{};
}

core::Status send_on(const ChannelConfig& c, const StoredNotification& n, std::int64_t now) {
  switch (c.type) {
    case ChannelType::email:
      return send_email(c.email, n, now);
    case ChannelType::webhook:
      return send_webhook(c.webhook, n, now);
    case ChannelType::sms:
      return send_sms(c.sms, n);
  }
  return core::make_error(core::Errc::invalid_argument, "unknown channel type");
}

}  // namespace ml::server::notify
