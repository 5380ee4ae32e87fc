// Changing a device's key without touching it (docs/security.md, "Changing a key"): the
// `set_key` extension command carries the new master key, sealed under the old one like every
// command. The device keeps the change durably as one record, "NEW PREVIOUS TIME CONFIGURED"
// (keys of 32 hex digits: the new one, the one it replaced, and the one in the device's
// configuration when the first change was made; the unix time of the change), seals everything
// with the new key from then on,
// and still accepts commands sealed with the previous key for kKeyGraceSeconds, while the server
// may not yet have seen the new key. Pure: the caller passes the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/envelope/envelope.hpp"
#include "core/result.hpp"

namespace ml::core::keychange {

// How long a device accepts commands sealed with its previous key after a change.
inline constexpr std::int64_t kKeyGraceSeconds = 7 * 86400;
// The longest record: three keys, a 20-digit time and three spaces.
inline constexpr std::size_t kMaxRecordText = 3 * 32 + 20 + 3;

struct KeyChange {
  envelope::MasterKey next{};
  envelope::MasterKey previous{};
  std::int64_t time = 0;
  envelope::MasterKey configured{};
  bool operator==(const KeyChange&) const = default;
};

// set_key's argument: the new key as 32 hex digits. Errors name what is wrong (never the text,
// which may be most of a key).
Result<envelope::MasterKey> parse_new_key(std::string_view argument);

std::string format_record(const KeyChange& change);
// The record of a change from `current` to `next` at `time` on a device configured with
// `configured`, after `before` (the stored change, if any): the configured key of a chain of
// changes is the one the first change was made under.
KeyChange next_change(const envelope::MasterKey& next, const envelope::MasterKey& current,
                      std::int64_t time, const envelope::MasterKey& configured,
                      const std::optional<KeyChange>& before);
Result<KeyChange> parse_record(std::string_view text);

// The key a device uses, given the key it is configured with and its stored change: the change
// applies while the configuration still holds the key it held when changes began (or holds the
// new key); any other configured key (the operator put a new one there) wins, and the change is
// stale.
struct InUse {
  envelope::MasterKey current{};
  std::optional<envelope::MasterKey> previous;  // still accepted for commands until `until`
  std::int64_t until = 0;
  bool stale_change = false;
};
InUse key_in_use(const envelope::MasterKey& configured, const std::optional<KeyChange>& change,
                 std::int64_t now);

}  // namespace ml::core::keychange
