#include "password/limiter.hpp"

#include <algorithm>

namespace ml::password {
namespace {

void prune(std::deque<std::int64_t>& times, std::int64_t now) {
  while (!times.empty() && times.front() <= now - LoginLimiter::kWindow)
    times.pop_front();
}

}  // namespace

std::int64_t LoginLimiter::wait(std::map<std::string, Times>& map, const std::string& key, int max,
                                std::int64_t now) {
  auto it = map.find(key);
  if (it == map.end()) return 0;
  prune(it->second, now);
  if (it->second.empty()) {
    map.erase(it);
    return 0;
  }
  if (static_cast<int>(it->second.size()) < max) return 0;
  return std::max<std::int64_t>(1, it->second.front() + kWindow - now);
}

void LoginLimiter::count(std::map<std::string, Times>& map, const std::string& key, int max,
                         std::int64_t now) {
  if (map.size() >= kMaxKeys && map.find(key) == map.end()) {
    auto stalest = std::min_element(map.begin(), map.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    map.erase(stalest);
  }
  auto& times = map[key];
  prune(times, now);
  times.push_back(now);
  while (static_cast<int>(times.size()) > max)
    times.pop_front();
}

std::int64_t LoginLimiter::begin(const std::string& account, const std::string& address,
                                 std::int64_t now, std::int64_t unlocked_at) {
  std::lock_guard lock(mutex_);
  if (auto it = accounts_.find(account); it != accounts_.end()) {
    auto& times = it->second;
    times.erase(std::remove_if(times.begin(), times.end(),
                               [&](std::int64_t t) { return t <= unlocked_at; }),
                times.end());
    if (times.empty()) accounts_.erase(it);
  }
  const auto retry = std::max(wait(accounts_, account, kPerAccount, now),
                              wait(addresses_, address, kPerAddress, now));
  if (retry > 0) return retry;
  count(accounts_, account, kPerAccount, now);
  count(addresses_, address, kPerAddress, now);
  return 0;
}

void LoginLimiter::succeeded(const std::string& account, const std::string& address,
                             std::int64_t now) {
  std::lock_guard lock(mutex_);
  accounts_.erase(account);
  if (auto it = addresses_.find(address); it != addresses_.end()) {
    auto& times = it->second;
    if (auto t = std::find(times.rbegin(), times.rend(), now); t != times.rend()) {
      times.erase(std::next(t).base());
    }
    if (times.empty()) addresses_.erase(it);
  }
}

void LoginLimiter::unlock(const std::string& account) {
  std::lock_guard lock(mutex_);
  accounts_.erase(account);
}

}  // namespace ml::password
