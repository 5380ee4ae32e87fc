// The notification channels (docs/server.md, "Notifications"): what each sends for a message,
// built by pure functions the tests check, and the sending itself over libcurl (curl.hpp), one
// file per channel: email.cpp (SMTP), webhook.cpp (a signed POST), sms.cpp (the gateway's
// configured request). Errors name what failed, never a secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "server/notify/config.hpp"
#include "server/notify/curl.hpp"
#include "server/store/notifications.hpp"

namespace ml::server::notify {

// ---- email (email.cpp) ----
// The message as sent: Date, Message-ID, From, To, Subject (RFC 2047 encoded words when it is
// not plain ASCII), MIME-Version, Content-Type text/plain; charset=UTF-8, the body in base64
// (any UTF-8 text, any line length); CRLF line ends (RFC 5322).
std::string email_message(const EmailSettings& settings, const StoredNotification& n,
                          std::int64_t now);
// "=?UTF-8?B?...?=" words of at most 75 characters, split between UTF-8 characters and folded
// (RFC 2047); plain printable ASCII stays as it is.
std::string encode_header_text(std::string_view text);
core::Status send_email(const EmailSettings& settings, const StoredNotification& n,
                        std::int64_t now);

// ---- webhook (webhook.cpp) ----
inline constexpr std::string_view kSignatureHeader = "X-MeterLogger-Signature";
inline constexpr std::string_view kTimestampHeader = "X-MeterLogger-Timestamp";
inline constexpr std::string_view kDeliveryHeader = "X-MeterLogger-Delivery";
// The JSON body: {"delivery", "id", "channel", "recipient", "serial", "subject", "body",
// "created"}.
std::string webhook_body(const StoredNotification& n);
// "sha256=" and the lower-case hex HMAC-SHA256 under `secret` of "<timestamp>.<body>".
std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body);
HttpRequest webhook_request(const WebhookSettings& settings, const StoredNotification& n,
                            std::int64_t now);
core::Status send_webhook(const WebhookSettings& settings, const StoredNotification& n,
                          std::int64_t now);

// ---- sms (sms.cpp) ----
// The SMS text: the subject, a line break and the body (the subject alone when the body is
// empty), cut to 640 bytes between UTF-8 characters.
std::string sms_text(const StoredNotification& n);
// The gateway request with every template filled: {to} the recipient, {text} sms_text,
// {from} and {token} from the settings; escaped per position (template.hpp).
core::Result<HttpRequest> sms_request(const SmsSettings& settings, const StoredNotification& n);
core::Status send_sms(const SmsSettings& settings, const StoredNotification& n);

// The channel's send for `n`.
core::Status send_on(const ChannelConfig& channel, const StoredNotification& n, std::int64_t now);

// An HTTP response outside 2xx as an error ("HTTP 503: <first line of the body>").
core::Status http_success(const core::Result<HttpResponse>& response);

}  // namespace ml::server::notify
