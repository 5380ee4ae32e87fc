// The email channel: the message (RFC 5322, RFC 2045, RFC 2047) and its sending over SMTP
// (channels.hpp).
#include <openssl/evp.h>

#include <ctime>

#include "server/notify/channels.hpp"

namespace ml::server::notify {

namespace {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool plain_ascii(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return false;
  return text.find("=?") == std::string_view::npos;
}

// One line: CR, LF and tabs become spaces (no header injection).
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  return out;
}

std::string rfc5322_date(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? "meterlogger" : std::string(address.substr(at + 1));
}

}  // namespace

std::string encode_header_text(std::string_view text) {
  const std::string line = one_line(text);
  if (plain_ascii(line)) return line;
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    // 45 bytes of UTF-8 make 60 base64 characters: a word of 72, within RFC 2047's 75.
    std::size_t end = std::min(i + 45, line.size());
    while (end < line.size() && end > i + 1 &&
           (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) {
      --end;  // not inside a character
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(line).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string email_message(const EmailSettings& s, const StoredNotification& n, std::int64_t now) {
  std::string from = "<" + s.from + ">";
  if (!s.from_name.empty()) {
    const std::string name = one_line(s.from_name);
    from = (plain_ascii(name) && name.find_first_of("\"\\") == std::string::npos
                ? "\"" + name + "\""
                : encode_header_text(name)) +
           " " + from;
  }
  std::string m;
  m += "Date: " + rfc5322_date(now) + "\r\n";
  m += "Message-ID: <meterlogger." + std::to_string(n.id) + "." + std::to_string(n.created) + "@" +
       domain_of(s.from) + ">\r\n";
  m += "From: " + from + "\r\n";
  m += "To: <" + n.recipient + ">\r\n";
  m += "Subject: " + encode_header_text(n.subject) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "\r\n";
  std::string body;  // CRLF line ends: the canonical form of text (RFC 2045)
  for (std::size_t i = 0; i < n.body.size(); ++i) {
    if (n.body[i] == '\n' && (i == 0 || n.body[i - 1] != '\r')) body += '\r';
    body += n.body[i];
  }
  const std::string encoded = base64(body);
  for (std::size_t i = 0; i < encoded.size(); i += 76)
    m += encoded.substr(i, 76) + "\r\n";
  return m;
}

core::Status send_email(const EmailSettings& s, const StoredNotification& n, std::int64_t now) {
  ML_TRY(check_email_address(n.recipient));
  SmtpRequest r;
  r.url = std::string(s.security == SmtpSecurity::tls ? "smtps://" : "smtp://") + s.host + ":" +
          std::to_string(s.port);
  r.require_tls = s.security == SmtpSecurity::starttls;
  r.username = s.username;
  r.password = s.password;
  r.ca_file = s.ca_file;
  r.from = s.from;
  r.to = n.recipient;
  r.message = email_message(s, n, now);
  auto sent = smtp_send(r);
  if (!sent) {
    return core::make_error(
        core::Errc::notify_failure,
        "SMTP " + s.host + ":" + std::to_string(s.port) + ": " + sent.error().text());
  }
  return core::Ok{};
}

}  // namespace ml::server::notify
