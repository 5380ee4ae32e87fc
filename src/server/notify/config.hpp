// The [notify] table of server.toml (docs/server.md, "Notifications"): the channels messages go
// out on (email over SMTP, a signed webhook, an SMS gateway's HTTP request), the rate limit per
// recipient and the retry back-off. Secrets (the SMTP password, the webhook's HMAC secret, the
// gateway's token) are read here, from the file or inline, and are never logged or shown.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "platform/config/toml_reader.hpp"
#include "server/notify/template.hpp"

namespace ml::server::notify {

enum class ChannelType : std::uint8_t { email, webhook, sms };
struct ChannelTypeInfo {
  ChannelType type;
  std::string_view name;  // as written in `type`
  // Whether a message interrupted while sending (the server stopped between "sending" and
  // "sent") is sent again at restart: only where the receiver can drop a duplicate (a webhook
  // carries the message's delivery id). docs/server.md, "Sent once".
  bool resend_interrupted;
  bool rate_limited;  // people (email, sms) are; machines (webhook) are not
};
inline constexpr std::array<ChannelTypeInfo, 3> kChannelTypes{{
    {ChannelType::email, "email", false, true},
    {ChannelType::webhook, "webhook", true, false},
    {ChannelType::sms, "sms", false, true},
}};
const ChannelTypeInfo& channel_type_info(ChannelType type);
std::optional<ChannelType> channel_type_from_name(std::string_view name);

enum class SmtpSecurity : std::uint8_t { starttls, tls, none };
struct SmtpSecurityInfo {
  SmtpSecurity security;
  std::string_view name;
  int default_port;
};
inline constexpr std::array<SmtpSecurityInfo, 3> kSmtpSecurities{{
    {SmtpSecurity::starttls, "starttls", 587},  // RFC 3207: plain, then upgraded; TLS required
    {SmtpSecurity::tls, "tls", 465},            // RFC 8314: TLS from the first byte
    {SmtpSecurity::none, "none", 25},           // plain text: only to a relay on this host
}};

// How the SMS request's body is written, and so how its placeholders are escaped.
enum class BodyType : std::uint8_t { json, form, text };
struct BodyTypeInfo {
  BodyType type;
  std::string_view name;
  std::string_view content_type;
  Escape escape;
};
inline constexpr std::array<BodyTypeInfo, 3> kBodyTypes{{
    {BodyType::json, "json", "application/json", Escape::json},
    {BodyType::form, "form", "application/x-www-form-urlencoded", Escape::form},
    {BodyType::text, "text", "text/plain; charset=UTF-8", Escape::none},
}};
const BodyTypeInfo& body_type_info(BodyType type);

struct EmailSettings {
  std::string host;
  int port = 587;
  SmtpSecurity security = SmtpSecurity::starttls;
  std::string username;
  std::string password;  // secret
  std::string from;      // the sender's address
  std::string from_name;
  std::string ca_file;  // the CA certificates to trust instead of the system's
};

struct WebhookSettings {
  std::string url;     // http:// or https://
  std::string secret;  // secret: the HMAC-SHA256 key
  std::string ca_file;
};

struct SmsSettings {
  std::string method = "POST";
  MessageTemplate url;                                           // its placeholders percent-encoded
  std::vector<std::pair<std::string, MessageTemplate>> headers;  // values as they are
  std::optional<MessageTemplate> body;                           // none: no body (GET)
  BodyType body_type = BodyType::json;
  std::string from;   // {from}: the sender name or number the gateway shows
  std::string token;  // {token}: secret
  std::string ca_file;
};

struct ChannelConfig {
  std::string name;
  ChannelType type = ChannelType::email;
  EmailSettings email;
  WebhookSettings webhook;
  SmsSettings sms;
};

struct NotifyConfig {
  std::vector<ChannelConfig> channels;
  int rate_limit = 5;  // messages per recipient per rate_window; 0: no limit
  int rate_window_s = 3600;
  int retry_initial_s = 60;         // the first retry after a failure; doubling
  int retry_max_s = 3600;           // the back-off's ceiling
  int give_up_after_s = 48 * 3600;  // a message not sent this long after it was queued fails
  int interval_s = 5;               // how often the notifier looks for due messages
  // The customers' "running low" notice below this many days left, again only after the estimate
  // was back at low + rearm days (server/prepaid_notice.hpp).
  int prepaid_low_days = 3;
  int prepaid_rearm_days = 1;

  const ChannelConfig* channel(std::string_view name) const;
  // The channels' names, in configuration order (nothing secret).
  std::vector<std::string> channel_names() const;
};

// Reads the [notify] table (r names its keys "notify.<key>"); `base` is the configuration's
// folder (relative secret files).
core::Status parse_notify_config(platform::config::Reader& r, NotifyConfig& out,
                                 const std::filesystem::path& base);

// An e-mail address as a recipient or sender ("anna@example.org": one @, no blanks, no
// brackets or line breaks, at most 254 bytes); the error says what is wrong.
core::Status check_email_address(std::string_view address);
// A phone number for SMS: "+" and 6 to 15 digits, or 6 to 15 digits (E.164 without blanks).
core::Status check_phone_number(std::string_view number);
// Whether `recipient` suits a channel of `type` (an address, a number; a webhook takes any
// short single-line text, also none).
core::Status check_recipient(ChannelType type, std::string_view recipient);

}  // namespace ml::server::notify
