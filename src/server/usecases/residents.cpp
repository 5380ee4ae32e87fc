// The residents' use cases (residents.hpp).
#include "server/usecases/residents.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "password/password.hpp"
#include "server/notify/config.hpp"
#include "server/notify/notifier.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {
namespace {

// The code's hash: SHA-256 of "<resident id>:<digits>", hex.
std::string code_hash(std::int64_t resident_id, const std::string& code) {
  return password::secret_hash(std::to_string(resident_id) + ":" + code);
}

// The digits of a typed code: blanks and dashes ignored; anything else, or another count of
// digits, is no code.
std::optional<std::string> typed_code(const std::string& text) {
  if (text.size() > 32) return std::nullopt;
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  if (digits.size() != static_cast<std::size_t>(kCodeDigits)) return std::nullopt;
  return digits;
}

// Seconds until the oldest of `times` leaves the window, when there are `limit` or more.
std::int64_t wait_for(std::vector<std::int64_t> times, int limit, std::int64_t now) {
  if (times.size() < static_cast<std::size_t>(limit)) return 0;
  std::sort(times.begin(), times.end());
  return std::max<std::int64_t>(
      1, times[times.size() - static_cast<std::size_t>(limit)] + kCodeWindow - now);
}

}  // namespace

core::Result<std::int64_t> invite_resident(ServerStore& store, const Invite& invite,
                                           const Actor& actor, std::int64_t now) {
  if (invite.email.empty() && invite.phone.empty()) {
    return invalid(
        "give the resident's e-mail address or phone number (or both): the login "
        "code is sent there");
  }
  if (!invite.email.empty()) {
    if (auto s = notify::check_email_address(invite.email); !s) return invalid(s.error().detail);
  }
  if (!invite.phone.empty()) {
    if (auto s = notify::check_phone_number(invite.phone); !s) return invalid(s.error().detail);
  }
  if (invite.language != "" && invite.language != "da" && invite.language != "en") {
    return invalid("language must be da, en or empty (the browser's), not \"" + invite.language +
                   "\"");
  }
  if (invite.serials.empty()) return invalid("give the resident's meters");
  if (invite.name.size() > 200) return invalid("a resident's name has at most 200 characters");
  Resident r;
  r.name = invite.name;
  r.email = invite.email;
  r.phone = invite.phone;
  r.language = invite.language;
  r.created = now;
  r.invited_by = actor.name;
  r.serials = invite.serials;
  std::int64_t id = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    auto added = store.add_resident(r);
    if (!added) return added.error();
    id = *added;
    std::string meters;
    for (const auto& s : invite.serials)
      meters += (meters.empty() ? "" : ",") + s;
    // Audited without the addresses (personal data), as the contacts are.
    return store.audit_admin({0, now, actor.name, actor.remote, "resident.invite", "",
                              "resident #" + std::to_string(id) + " of " + meters});
  });
  if (!done) return done.error();
  return id;
}

core::Status remove_resident(ServerStore& store, std::int64_t id, const Actor& actor,
                             std::int64_t now) {
  return store.write_transaction([&]() -> core::Status {
    auto who = store.resident(id);
    if (!who) return who.error();
    if (!*who) return invalid("no resident " + std::to_string(id));
    ML_TRY(store.delete_resident(id));
    return store.audit_admin({0, now, actor.name, actor.remote, "resident.remove", "",
                              "resident #" + std::to_string(id)});
  });
}

core::Result<Resident> set_resident_preferences(ServerStore& store, std::int64_t id,
                                                const Preferences& p) {
  Resident out;
  auto done = store.write_transaction([&]() -> core::Status {
    auto who = store.resident(id);
    if (!who) return who.error();
    if (!*who) return invalid("no resident " + std::to_string(id));
    out = **who;
    if (p.notices) {
      const auto n = resident_notices_from_name(*p.notices);
      if (!n) return invalid("notices must be all, essential or none, not \"" + *p.notices + "\"");
      out.notices = *n;
    }
    if (p.channel) {
      if (*p.channel != "" && *p.channel != "email" && *p.channel != "sms")
        return invalid("channel must be email, sms or empty, not \"" + *p.channel + "\"");
      if (*p.channel == "email" && out.email.empty())
        return invalid("no e-mail address is known for you: ask your cooperative to add one");
      if (*p.channel == "sms" && out.phone.empty())
        return invalid("no phone number is known for you: ask your cooperative to add one");
      out.notice_channel = *p.channel;
    }
    if (p.language) {
      if (*p.language != "" && *p.language != "da" && *p.language != "en")
        return invalid("language must be da, en or empty, not \"" + *p.language + "\"");
      out.language = *p.language;
    }
    if (p.low_days) {
      if (*p.low_days < 0 || *p.low_days > kMaxResidentLowDays) {
        return invalid("low_days must be between 0 (the cooperative's) and " +
                       std::to_string(kMaxResidentLowDays) + " days");
      }
      out.low_days = *p.low_days;
    }
    return store.update_resident(out);
  });
  if (!done) return done.error();
  return out;
}

std::string payment_instructions(std::string_view pattern, const Meter& meter) {
  std::string text(pattern);
  for (const auto& [key, value] :
       {std::pair<std::string_view, const std::string&>{"{serial}", meter.serial},
        {"{name}", meter.name}}) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

std::string login_address(std::string_view typed) {
  while (!typed.empty() && (typed.front() == ' ' || typed.front() == '\t'))
    typed.remove_prefix(1);
  while (!typed.empty() && (typed.back() == ' ' || typed.back() == '\t'))
    typed.remove_suffix(1);
  if (typed.find('@') != std::string_view::npos) return std::string(typed);
  std::string out;
  for (char c : typed) {
    if (c != ' ' && c != '\t' && c != '-' && c != '.') out += c;
  }
  return out;
}

core::Result<std::optional<IssuedCode>> issue_login_code(ServerStore& store,
                                                         const std::string& address,
                                                         const std::string& client,
                                                         std::int64_t now) {
  std::optional<IssuedCode> out;
  auto done = store.write_transaction([&]() -> core::Status {
    // The client's limit first: it also holds for addresses that are nobody's.
    auto from_client = store.resident_codes_from(client, now - kCodeWindow + 1);
    if (!from_client) return from_client.error();
    if (*from_client >= kCodesPerClient) {
      return invalid("wait " + std::to_string(kCodeWindow) +
                     " s: too many codes asked for from this address");
    }
    auto resident = store.resident_by_address(address);
    if (!resident) return resident.error();
    if (!*resident) return core::Ok{};
    const std::int64_t resident_id = (*resident)->id;
    std::vector<std::int64_t> times;
    auto codes = store.resident_codes(resident_id, now - kCodeWindow + 1);
    if (!codes) return codes.error();
    for (const auto& c : *codes)
      times.push_back(c.created);
    if (const auto wait = wait_for(times, kCodesPerResident, now); wait > 0) {
      return invalid("wait " + std::to_string(wait) + " s: a code was sent " +
                     std::to_string(kCodesPerResident) + " times already");
    }
    ML_TRY(store.remove_resident_codes_before(now - kCodeWindow));
    static_assert(kCodeDigits == 8, "the bound of randombytes_uniform below is 10^kCodeDigits");
    char digits[kCodeDigits + 1];
    // Unbiased over the 10^8 codes of kCodeDigits digits, with leading zeros.
    std::snprintf(digits, sizeof digits, "%0*u", kCodeDigits, randombytes_uniform(100000000U));
    const std::string code = digits;
    auto id = store.insert_resident_code(
        {0, resident_id, code_hash(resident_id, code), now, now + kCodeLifetime, 0, false, client});
    if (!id) return id.error();
    out = IssuedCode{resident_id, code};
    return core::Ok{};
  });
  if (!done) return done.error();
  return out;
}

namespace {

// The login code's message in each language; {code} and {url} filled in.
struct CodeText {
  std::string_view language;
  std::string_view subject;
  std::string_view body;
  std::string_view link;  // the line with the page's address
};
constexpr std::array<CodeText, 2> kCodeTexts{{
    {"en", "Your login code", "Your login code is {code}. It works once, for 10 minutes.\n",
     "Or open this link to log in: {url}\n"},
    {"da", "Din login-kode", "Din login-kode er {code}. Den virker én gang, i 10 minutter.\n",
     "Eller åbn dette link for at logge ind: {url}\n"},
}};

std::string filled(std::string_view text, std::string_view name, const std::string& value) {
  std::string out(text);
  const auto at = out.find(name);
  if (at != std::string::npos) out.replace(at, name.size(), value);
  return out;
}

}  // namespace

core::Result<bool> send_login_code(ServerStore& store, const notify::NotifyConfig& notify,
                                   const std::string& address, const std::string& client,
                                   const std::string& url, std::int64_t now) {
  const bool email = address.find('@') != std::string::npos;
  const auto type = email ? notify::ChannelType::email : notify::ChannelType::sms;
  const notify::ChannelConfig* channel = nullptr;
  for (const auto& c : notify.channels) {
    if (c.type == type) {
      channel = &c;
      break;
    }
  }
  if (channel == nullptr) {
    return invalid(email ? "no e-mail channel in [notify]: log in with your phone number, or "
                           "ask your cooperative"
                         : "no SMS channel in [notify]: log in with your e-mail address, or ask "
                           "your cooperative");
  }
  auto issued = issue_login_code(store, address, client, now);
  if (!issued) return issued.error();
  if (!*issued) return false;
  auto resident = store.resident((*issued)->resident_id);
  if (!resident) return resident.error();
  const CodeText* text = &kCodeTexts[0];
  for (const auto& t : kCodeTexts) {
    if (*resident && t.language == (*resident)->language) text = &t;
  }
  // To the address as stored (the typed one may differ in case).
  const std::string recipient = !*resident ? address
                                : email    ? (*resident)->email
                                           : (*resident)->phone;
  std::string body = filled(text->body, "{code}", (*issued)->code);
  if (!url.empty())
    body += filled(text->link, "{url}", login_link(url, recipient, (*issued)->code));
  notify::Notification n;
  // Unique per code: the code's hash would do, but the time and the resident's id say enough
  // and tell nothing of the code.
  n.dedupe_key = std::string(kLoginCodeKey) + std::to_string((*issued)->resident_id) + ":" +
                 std::to_string(now) + ":" + std::to_string(randombytes_random());
  n.channel = channel->name;
  n.recipient = recipient;
  n.subject = std::string(text->subject);
  n.body = std::move(body);
  auto queued = notify::queue_notification(store, notify, n, now);
  if (!queued) return queued.error();
  return true;
}

std::string login_link(std::string_view url, std::string_view address, std::string_view code) {
  // Unreserved characters as they are, every other byte %XX (RFC 3986).
  const auto encoded = [](std::string_view text) {
    std::string out;
    for (const unsigned char c : text) {
      if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  };
  std::string link(url.substr(0, url.find('#')));
  return link + "#login=" + encoded(code) + "&address=" + encoded(address);
}

core::Status set_resident_password(ServerStore& store, std::int64_t id,
                                   const std::string& password) {
  std::string hash;
  if (!password.empty()) {
    auto made = hash_new_password(password);
    if (!made) return made.error();
    hash = std::move(made).value();
  }
  return store.write_transaction([&]() -> core::Status {
    auto resident = store.resident(id);
    if (!resident) return resident.error();
    if (!*resident) return invalid("no resident " + std::to_string(id));
    (*resident)->password_hash = hash;
    return store.update_resident(**resident);
  });
}

core::Result<std::int64_t> redeem_login_password(ServerStore& store, const std::string& address,
                                                 const std::string& password) {
  // Argon2id takes tens of milliseconds: an unknown address, or one without a password, costs
  // the same, so timing tells nobody which addresses are residents'.
  static const std::string dummy = [] {
    std::string h;
    password::hash_password("no such resident", &h);
    return h;
  }();
  auto resident = store.resident_by_address(address);
  if (!resident) return resident.error();
  const bool has = *resident && !(*resident)->password_hash.empty();
  const bool ok = password::verify_password(has ? (*resident)->password_hash : dummy, password);
  if (!ok || !has) return invalid("wrong address or password");
  return (*resident)->id;
}

core::Result<std::int64_t> redeem_login_code(ServerStore& store, const std::string& address,
                                             const std::string& code_text, std::int64_t now) {
  const auto wrong = [] { return invalid("wrong or expired code"); };
  const auto code = typed_code(code_text);
  std::int64_t who = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    auto resident = store.resident_by_address(address);
    if (!resident) return resident.error();
    if (!*resident) return wrong();
    const std::int64_t id = (*resident)->id;
    auto codes = store.resident_codes(id, now - kCodeLifetime);
    if (!codes) return codes.error();
    const std::string hash = code ? code_hash(id, *code) : std::string();
    for (const auto& c : *codes) {
      if (c.used || c.expires <= now || c.code_hash != hash) continue;
      auto taken = store.take_resident_code(c.id, now, kCodeTries);
      if (!taken) return taken.error();
      if (*taken) {
        who = id;
        return core::Ok{};
      }
    }
    return core::Ok{};
  });
  if (!done) return done.error();
  if (who != 0) return who;
  // A wrong code: a try against every open code of the resident, in a transaction of its own
  // (the refusal above wrote nothing).
  auto counted = store.write_transaction([&]() -> core::Status {
    auto resident = store.resident_by_address(address);
    if (!resident) return resident.error();
    if (!*resident) return core::Ok{};
    auto codes = store.resident_codes((*resident)->id, now - kCodeLifetime);
    if (!codes) return codes.error();
    for (const auto& c : *codes) {
      if (!c.used && c.expires > now) ML_TRY(store.count_resident_code_try(c.id));
    }
    return core::Ok{};
  });
  if (!counted) return counted.error();
  return wrong();
}

}  // namespace ml::server::usecase
