// The SMS channel: the gateway's configured HTTP request with its templates filled
// (channels.hpp, template.hpp); success is an HTTP 2xx.
#include "server/notify/channels.hpp"

namespace ml::server::notify {

std::string sms_text(const StoredNotification& n) {
  std::string text = n.body.empty() ? n.subject : n.subject + "\n" + n.body;
  constexpr std::size_t kMax = 640;
  if (text.size() > kMax) {
    std::size_t end = kMax;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    text.resize(end);
  }
  return text;
}

core::Result<HttpRequest> sms_request(const SmsSettings& s, const StoredNotification& n) {
  const TemplateValues values{n.recipient, sms_text(n), s.from, s.token};
  HttpRequest r;
  r.method = s.method;
  r.ca_file = s.ca_file;
  auto url = s.url.fill(values, Escape::url);
  if (!url) return url.error();
  r.url = std::move(url).value();
  bool content_type = false;
  for (const auto& [name, value] : s.headers) {
    auto v = value.fill(values, Escape::header);
    if (!v) return core::make_error(core::Errc::invalid_argument, name + ": " + v.error().text());
    r.headers.push_back(name + ": " + *v);
    if (name.size() == 12 && strncasecmp(name.c_str(), "content-type", 12) == 0) {
      content_type = true;
    }
  }
  if (s.body) {
    const auto& info = body_type_info(s.body_type);
    auto body = s.body->fill(values, info.escape);
    if (!body) return body.error();
    r.body = std::move(body).value();
    if (!content_type) r.headers.push_back("Content-Type: " + std::string(info.content_type));
  }
  return r;
}

core::Status send_sms(const SmsSettings& s, const StoredNotification& n) {
  ML_TRY(check_phone_number(n.recipient));
  auto request = sms_request(s, n);
  if (!request) {
    return core::make_error(core::Errc::notify_failure, "SMS gateway: " + request.error().text());
  }
  auto done = http_success(http_request(*request));
  if (!done) {
    return core::make_error(core::Errc::notify_failure, "SMS gateway: " + done.error().text());
  }
  return core::Ok{};
}

}  // namespace ml::server::notify
