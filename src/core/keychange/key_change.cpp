#include "core/keychange/key_change.hpp"

#include <algorithm>
#include <charconv>

#include "core/bytes.hpp"

namespace ml::core::keychange {
namespace {

std::string hex_of(const envelope::MasterKey& k) {
  return to_hex(ByteView(k.data(), k.size()));
}

}  // namespace

Result<envelope::MasterKey> parse_new_key(std::string_view argument) {
  if (argument.size() != 32) {
    return make_error(Errc::invalid_argument, "set_key: the new key is 32 hex digits, not " +
                                                  std::to_string(argument.size()) + " characters");
  }
  auto k = envelope::parse_master_key(argument);
  if (!k) return make_error(Errc::invalid_argument, "set_key: the new key is not hex digits");
  return *k;
}

std::string format_record(const KeyChange& change) {
  return hex_of(change.next) + " " + hex_of(change.previous) + " " + std::to_string(change.time) +
         " " + hex_of(change.configured);
}

KeyChange next_change(const envelope::MasterKey& next, const envelope::MasterKey& current,
                      std::int64_t time, const envelope::MasterKey& configured,
                      const std::optional<KeyChange>& before) {
  const bool chained = before && (configured == before->configured || configured == before->next);
  return KeyChange{next, current, time, chained ? before->configured : configured};
}

Result<KeyChange> parse_record(std::string_view text) {
  const auto bad = [](const std::string& why) {
    return make_error(Errc::invalid_argument, "key change record: " + why);
  };
  if (text.size() > kMaxRecordText) return bad("longer than " + std::to_string(kMaxRecordText));
  const auto last = text.rfind(' ');
  if (text.size() < 3 * 32 + 3 + 1 || text[32] != ' ' || text[65] != ' ' ||
      last != text.size() - 33) {
    return bad("not \"NEW PREVIOUS TIME CONFIGURED\"");
  }
  KeyChange c;
  auto next = envelope::parse_master_key(text.substr(0, 32));
  if (!next) return bad("the new key is not 32 hex digits");
  auto previous = envelope::parse_master_key(text.substr(33, 32));
  if (!previous) return bad("the previous key is not 32 hex digits");
  auto configured = envelope::parse_master_key(text.substr(last + 1));
  if (!configured) return bad("the configured key is not 32 hex digits");
  const std::string_view t = text.substr(66, last - 66);
  if (!std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return bad("the time is not a number");
  }
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), c.time);
  if (ec != std::errc() || end != t.data() + t.size()) return bad("the time is too large");
  c.next = *next;
  c.previous = *previous;
  c.configured = *configured;
  return c;
}

InUse key_in_use(const envelope::MasterKey& configured, const std::optional<KeyChange>& change,
                 std::int64_t now) {
  InUse use;
  use.current = configured;
  if (!change) return use;
  if (configured != change->configured && configured != change->next) {
    use.stale_change = true;
    return use;
  }
  use.current = change->next;
  const std::int64_t until = change->time + kKeyGraceSeconds;
  if (now < until && change->previous != change->next) {
    use.previous = change->previous;
    use.until = until;
  }
  return use;
}

}  // namespace ml::core::keychange
