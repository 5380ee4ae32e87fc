// The [notify] table of server.toml (config.hpp).
#include "server/notify/config.hpp"

#include <set>

namespace ml::server::notify {

namespace fs = std::filesystem;
using platform::config::bad;
using platform::config::Reader;

const ChannelTypeInfo& channel_type_info(ChannelType type) {
  for (const auto& row : kChannelTypes)
    if (row.type == type) return row;
  return kChannelTypes[0];
}

std::optional<ChannelType> channel_type_from_name(std::string_view name) {
  for (const auto& row : kChannelTypes)
    if (row.name == name) return row.type;
  return std::nullopt;
}

const BodyTypeInfo& body_type_info(BodyType type) {
  for (const auto& row : kBodyTypes)
    if (row.type == type) return row;
  return kBodyTypes[0];
}

std::vector<std::string> NotifyConfig::channel_names() const {
  std::vector<std::string> out;
  for (const auto& c : channels)
    out.push_back(c.name);
  return out;
}

const ChannelConfig* NotifyConfig::channel(std::string_view name) const {
  for (const auto& c : channels)
    if (c.name == name) return &c;
  return nullptr;
}

core::Status check_email_address(std::string_view a) {
  auto no = [&](const std::string& why) {
    return core::make_error(
        core::Errc::invalid_argument,
        "\"" + std::string(a.substr(0, 64)) + "\" is not an e-mail address: " + why);
  };
  if (a.empty() || a.size() > 254) return no("it must be 1 to 254 bytes");
  const auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size() ||
      a.find('@', at + 1) != std::string_view::npos) {
    return no("it needs one @ between a name and a domain (anna@example.org)");
  }
  for (const char ch : a) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || ch == '<' || ch == '>' || ch == ',' || ch == '"' || ch == '(' ||
        ch == ')' || ch == ';' || ch == '\\') {
      return no("it may not hold blanks, control characters or <>,\"();\\");
    }
  }
  return core::Ok{};
}

core::Status check_phone_number(std::string_view n) {
  const std::string_view digits = !n.empty() && n.front() == '+' ? n.substr(1) : n;
  bool ok = digits.size() >= 6 && digits.size() <= 15;
  for (const char c : digits)
    ok = ok && c >= '0' && c <= '9';
  if (!ok) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(n.substr(0, 32)) +
                                "\" is not a phone number: write + and 6 to 15 digits, no blanks "
                                "(+4512345678)");
  }
  return core::Ok{};
}

core::Status check_recipient(ChannelType type, std::string_view recipient) {
  switch (type) {
    case ChannelType::email:
      return check_email_address(recipient);
    case ChannelType::sms:
      return check_phone_number(recipient);
    case ChannelType::webhook:
      break;
  }
  if (recipient.size() > 254) {
    return core::make_error(core::Errc::invalid_argument, "a recipient is at most 254 bytes");
  }
  for (const char ch : recipient) {
    if (static_cast<unsigned char>(ch) < 0x20) {
      return core::make_error(core::Errc::invalid_argument,
                              "a recipient may not hold control characters");
    }
  }
  return core::Ok{};
}

namespace {

core::Status int_setting(Reader& r, std::string_view key, int& out, std::int64_t min,
                         std::int64_t max) {
  std::int64_t v = out;
  ML_TRY(r.integer(key, v, min, max));
  out = static_cast<int>(v);
  return core::Ok{};
}

// A secret inline (`name`) or from a file (`name_file`), not both.
core::Status secret_setting(Reader& r, std::string_view name, std::string& out,
                            const fs::path& base) {
  ML_TRY(r.string(name, out));
  std::string file;
  const std::string file_key = std::string(name) + "_file";
  ML_TRY(r.string(file_key, file));
  if (file.empty()) return core::Ok{};
  if (!out.empty()) return bad(r.key(file_key), "give " + std::string(name) + " or " + file_key);
  auto secret = platform::config::read_secret_file(r.key(file_key), file, base);
  if (!secret) return secret.error();
  out = std::move(secret).value();
  return core::Ok{};
}

core::Status check_url(const std::string& key, std::string_view url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return bad(key, "must start with http:// or https://");
  }
  if (url.size() > kMaxTemplate) return bad(key, "is too long");
  for (const char ch : url) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F) {
      return bad(key, "may not hold blanks or control characters (percent-encode them)");
    }
  }
  return core::Ok{};
}

core::Status ca_file_setting(Reader& r, std::string& out, const fs::path& base) {
  ML_TRY(r.string("ca_file", out));
  if (!out.empty() && fs::path(out).is_relative()) out = (base / out).string();
  return core::Ok{};
}

core::Status parse_email(Reader& r, EmailSettings& e, const fs::path& base) {
  ML_TRY(r.string("host", e.host));
  if (e.host.empty()) return bad(r.key("host"), "required: the SMTP server's name");
  std::string security = "starttls";
  ML_TRY(r.string("security", security));
  const SmtpSecurityInfo* info = nullptr;
  for (const auto& row : kSmtpSecurities)
    if (row.name == security) info = &row;
  if (info == nullptr) {
    return bad(r.key("security"), "must be starttls, tls or none, not \"" + security + "\"");
  }
  e.security = info->security;
  e.port = info->default_port;
  ML_TRY(int_setting(r, "port", e.port, 1, 65535));
  ML_TRY(r.string("username", e.username));
  if (auto p = platform::config::read_password(r, e.password, base); !p) return p.error();
  if (!e.password.empty() && e.username.empty()) {
    return bad(r.key("username"), "required with a password");
  }
  ML_TRY(r.string("from", e.from));
  if (e.from.empty()) return bad(r.key("from"), "required: the sender's address");
  if (auto s = check_email_address(e.from); !s) return bad(r.key("from"), s.error().text());
  ML_TRY(r.string("from_name", e.from_name));
  if (e.from_name.find_first_of("\r\n") != std::string::npos) {
    return bad(r.key("from_name"), "must be one line");
  }
  return ca_file_setting(r, e.ca_file, base);
}

core::Status parse_webhook(Reader& r, WebhookSettings& w, const fs::path& base) {
  ML_TRY(r.string("url", w.url));
  if (w.url.empty()) return bad(r.key("url"), "required: where the messages are POSTed");
  ML_TRY(check_url(r.key("url"), w.url));
  ML_TRY(secret_setting(r, "secret", w.secret, base));
  if (w.secret.empty()) {
    return bad(r.key("secret"),
               "required (or secret_file): the key the receiver checks the signature with");
  }
  if (w.secret.size() < 16) {
    return bad(r.key("secret"), "must be at least 16 characters (openssl rand -hex 32)");
  }
  return ca_file_setting(r, w.ca_file, base);
}

bool header_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

core::Status parse_sms(Reader& r, SmsSettings& s, const fs::path& base) {
  ML_TRY(r.string("method", s.method));
  if (s.method != "POST" && s.method != "GET" && s.method != "PUT") {
    return bad(r.key("method"), "must be POST, GET or PUT, not \"" + s.method + "\"");
  }
  std::string url;
  ML_TRY(r.string("url", url));
  if (url.empty()) return bad(r.key("url"), "required: the gateway's URL (a template)");
  ML_TRY(check_url(r.key("url"), url));
  auto u = MessageTemplate::parse(url, r.key("url"));
  if (!u) return u.error();
  s.url = std::move(u).value();
  if (const toml::table* h = r.table("headers")) {
    for (const auto& [name, value] : *h) {
      const std::string key = r.key("headers") + "." + std::string(name.str());
      if (!header_name_ok(name.str())) {
        return bad(key, "a header name is letters, digits, - and _");
      }
      const auto text = value.value<std::string>();
      if (!text || !value.is_string()) return bad(key, "must be a string");
      if (text->find_first_of("\r\n") != std::string::npos) return bad(key, "must be one line");
      auto t = MessageTemplate::parse(*text, key);
      if (!t) return t.error();
      s.headers.emplace_back(std::string(name.str()), std::move(t).value());
    }
    if (s.headers.size() > 32) return bad(r.key("headers"), "at most 32 headers");
  }
  std::string body_type = "json";
  ML_TRY(r.string("body_type", body_type));
  const BodyTypeInfo* info = nullptr;
  for (const auto& row : kBodyTypes)
    if (row.name == body_type) info = &row;
  if (info == nullptr) {
    return bad(r.key("body_type"), "must be json, form or text, not \"" + body_type + "\"");
  }
  s.body_type = info->type;
  std::optional<std::string> body;
  if (auto b = r.get<std::string>("body"); !b) {
    return b.error();
  } else {
    body = *b;
  }
  if (body) {
    if (s.method == "GET") return bad(r.key("body"), "a GET request has no body: leave it out");
    auto t = MessageTemplate::parse(*body, r.key("body"));
    if (!t) return t.error();
    s.body = std::move(t).value();
  }
  const bool text_somewhere =
      s.url.uses(Placeholder::text) || (s.body && s.body->uses(Placeholder::text));
  const bool to_somewhere =
      s.url.uses(Placeholder::to) || (s.body && s.body->uses(Placeholder::to));
  if (!text_somewhere || !to_somewhere) {
    return bad(r.key(s.body ? "body" : "url"),
               "the request must carry {to} and {text} (in the URL or the body)");
  }
  ML_TRY(r.string("from", s.from));
  ML_TRY(secret_setting(r, "token", s.token, base));
  bool token_used = s.url.uses(Placeholder::token) || (s.body && s.body->uses(Placeholder::token));
  for (const auto& [name, t] : s.headers)
    token_used = token_used || t.uses(Placeholder::token);
  if (!s.token.empty() && !token_used) {
    return bad(r.key("token"), "is set but no template uses {token}");
  }
  if (s.token.empty() && token_used) {
    return bad(r.key("token"), "required (or token_file): a template uses {token}");
  }
  return ca_file_setting(r, s.ca_file, base);
}

core::Status parse_channel(Reader& r, ChannelConfig& c, const fs::path& base) {
  ML_TRY(r.string("name", c.name));
  if (c.name.empty() || c.name.size() > 32) {
    return bad(r.key("name"), "required: 1 to 32 letters, digits, - or _ (\"mail\")");
  }
  for (const char ch : c.name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_')) {
      return bad(r.key("name"), "1 to 32 letters, digits, - or _, not \"" + c.name + "\"");
    }
  }
  std::string type;
  ML_TRY(r.string("type", type));
  const auto t = channel_type_from_name(type);
  if (!t) return bad(r.key("type"), "must be email, webhook or sms, not \"" + type + "\"");
  c.type = *t;
  switch (c.type) {
    case ChannelType::email:
      ML_TRY(parse_email(r, c.email, base));
      break;
    case ChannelType::webhook:
      ML_TRY(parse_webhook(r, c.webhook, base));
      break;
    case ChannelType::sms:
      ML_TRY(parse_sms(r, c.sms, base));
      break;
  }
  return r.no_unknown_keys();
}

}  // namespace

core::Status parse_notify_config(Reader& r, NotifyConfig& n, const fs::path& base) {
  ML_TRY(int_setting(r, "rate_limit", n.rate_limit, 0, 10000));
  ML_TRY(int_setting(r, "rate_window", n.rate_window_s, 60, 7 * 86400));
  ML_TRY(int_setting(r, "retry_initial", n.retry_initial_s, 1, 86400));
  ML_TRY(int_setting(r, "retry_max", n.retry_max_s, 1, 7 * 86400));
  ML_TRY(int_setting(r, "give_up_after", n.give_up_after_s, 60, 30 * 86400));
  ML_TRY(int_setting(r, "interval", n.interval_s, 1, 3600));
  ML_TRY(int_setting(r, "prepaid_low_days", n.prepaid_low_days, 1, 60));
  ML_TRY(int_setting(r, "prepaid_rearm_days", n.prepaid_rearm_days, 0, 30));
  if (n.retry_max_s < n.retry_initial_s) {
    return bad(r.key("retry_max"), "must not be below retry_initial");
  }
  if (const toml::array* a = r.array("channel")) {
    std::set<std::string> names;
    std::size_t i = 0;
    for (const auto& node : *a) {
      const std::string key = r.key("channel") + "[" + std::to_string(i++) + "]";
      const toml::table* t = node.as_table();
      if (t == nullptr) return bad(key, "must be a table ([[notify.channel]])");
      Reader cr(*t, key);
      ChannelConfig c;
      ML_TRY(parse_channel(cr, c, base));
      if (!names.insert(c.name).second) {
        return bad(key + ".name", "\"" + c.name + "\" is the name of an earlier channel");
      }
      n.channels.push_back(std::move(c));
    }
    if (n.channels.size() > 32) return bad(r.key("channel"), "at most 32 channels");
  } else if (r.table("channel") != nullptr) {
    return bad(r.key("channel"), "write [[notify.channel]] (an array of tables), one per channel");
  }
  return r.no_unknown_keys();
}

}  // namespace ml::server::notify
