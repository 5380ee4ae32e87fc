#include "server/client_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/ascii.hpp"

namespace ml::server {
namespace {

// The address's bytes; false when `text` is not an IPv4 or IPv6 address.
bool parse_address(std::string_view text, Network& out) {
  if (text.empty() || text.size() > 64) return false;
  // "[::1]" as some proxies write it; a zone (%eth0) is not part of the address.
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  const std::string s(text.substr(0, text.find('%')));
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out.bytes = {};
    std::memcpy(out.bytes.data(), &a4, 4);
    out.v4 = true;
    out.prefix = 32;
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) != 1) return false;
  std::memcpy(out.bytes.data(), &a6, 16);
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMapped, 12) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    out.v4 = true;
    out.prefix = 32;
    return true;
  }
  out.v4 = false;
  out.prefix = 128;
  return true;
}

bool inside(const Network& address, const Network& net) {
  if (address.v4 != net.v4) return false;
  const int full = net.prefix / 8;
  if (std::memcmp(address.bytes.data(), net.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  const int rest = net.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address.bytes[static_cast<std::size_t>(full)] & mask) ==
         (net.bytes[static_cast<std::size_t>(full)] & mask);
}

bool trusted_address(const Network& address, const std::vector<Network>& networks) {
  for (const auto& n : networks)
    if (inside(address, n)) return true;
  return false;
}

}  // namespace

core::Result<Network> parse_network(std::string_view text) {
  const auto slash = text.find('/');
  Network n;
  if (!parse_address(text.substr(0, slash), n)) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(text) + "\" is not an IP address or network");
  }
  if (slash != std::string_view::npos) {
    const auto bits = text.substr(slash + 1);
    int prefix = -1;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    const int max = n.v4 ? 32 : 128;
    if (ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > max) {
      return core::make_error(
          core::Errc::invalid_argument,
          "\"" + std::string(text) + "\": the prefix must be 0.." + std::to_string(max));
    }
    n.prefix = prefix;
  }
  return n;
}

bool is_inside(std::string_view address, const std::vector<Network>& networks) {
  Network a;
  return parse_address(core::trim_blanks(address), a) && trusted_address(a, networks);
}

std::string client_address(std::string_view peer, std::string_view forwarded,
                           const std::vector<Network>& trusted) {
  if (forwarded.empty() || !is_inside(peer, trusted)) return std::string(peer);
  if (forwarded.size() > kMaxForwardedBytes) {
    forwarded = forwarded.substr(forwarded.size() - kMaxForwardedBytes);  // the nearest hops
  }
  std::string client(peer);
  for (int hop = 0; hop < kMaxHops && !forwarded.empty(); ++hop) {
    const auto comma = forwarded.rfind(',');
    const auto item = core::trim_blanks(
        comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
    Network a;
    if (!parse_address(item, a)) break;
    client = std::string(item);
    if (!trusted_address(a, trusted)) break;
    if (comma == std::string_view::npos) break;
    forwarded = forwarded.substr(0, comma);
  }
  return client;
}

}  // namespace ml::server
