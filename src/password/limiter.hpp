// The login limit shared by the server's API and the agent's setup page: failed logins are
// counted per account and per client address within a sliding window, and a key with too many
// is refused until the oldest of them leaves the window.
//
// Per account AND per address, with a higher limit for an address: an account cannot be guessed
// at from many addresses, one address cannot try every account, and one person mistyping a
// password does not lock out everyone behind the same address (an office's NAT, or the reverse
// proxy when [http] trusted_proxies is not set).
//
// begin() checks and counts in one step under the limiter's own lock, before the (slow)
// password check: every attempt is counted as a failure until it is known to have succeeded, so
// parallel attempts can never be checked more often than the limits allow. Memory is bounded:
// past kMaxKeys the key whose newest failure is the oldest is forgotten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace ml::password {

class LoginLimiter {
 public:
  static constexpr int kPerAccount = 5;         // failures per account within the window
  static constexpr int kPerAddress = 20;        // failures per client address within the window
  static constexpr std::int64_t kWindow = 900;  // seconds
  static constexpr std::size_t kMaxKeys = 10000;

  // One attempt at `account` from `address` at `now` (unix seconds). Returns 0 when it may go
  // ahead, and then counts it against both keys; otherwise the seconds until it may try again,
  // counting nothing. Failures of the account at or before `unlocked_at` (an admin's unlock) are
  // forgotten first.
  std::int64_t begin(const std::string& account, const std::string& address, std::int64_t now,
                     std::int64_t unlocked_at = 0);
  // The attempt begun at `now` had the right password: the account's failures are forgotten and
  // the attempt no longer counts against the address.
  void succeeded(const std::string& account, const std::string& address, std::int64_t now);
  // Forgets the account's failures.
  void unlock(const std::string& account);

 private:
  using Times = std::deque<std::int64_t>;
  // Seconds until `key` of `map` is below `max` failures; 0 when it is.
  std::int64_t wait(std::map<std::string, Times>& map, const std::string& key, int max,
                    std::int64_t now);
  void count(std::map<std::string, Times>& map, const std::string& key, int max, std::int64_t now);

  std::mutex mutex_;
  std::map<std::string, Times> accounts_;
  std::map<std::string, Times> addresses_;
};

}  // namespace ml::password
