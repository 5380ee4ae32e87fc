// Who a request comes from, for the login limit, the audit log and sessions. Behind a reverse
// proxy every request's peer is the proxy; the proxy names the client in X-Forwarded-For, which
// anyone else can forge. So the header is read only when the peer is one of [http]
// trusted_proxies (docs/server.md), and then from the right: each proxy appends the address it
// saw, so the right-most address that is not a trusted proxy is the client. Bounded: at most
// kMaxForwardedBytes of the header's end and kMaxHops addresses are read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

// An address or a CIDR network, IPv4 or IPv6 (an IPv4-mapped IPv6 address counts as IPv4).
struct Network {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
  int prefix = 0;  // bits that must match
};

inline constexpr std::size_t kMaxForwardedBytes = 4096;
inline constexpr int kMaxHops = 32;

// "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"; an error naming the text otherwise.
core::Result<Network> parse_network(std::string_view text);

// Whether `address` (an IP address as text) is inside one of `networks`.
bool is_inside(std::string_view address, const std::vector<Network>& networks);

// The client's address: `peer`, unless the peer is trusted and X-Forwarded-For (`forwarded`)
// names one. Then the right-most address of the header that is not trusted; when every one is
// trusted, the left-most. Reading stops at an entry that is not an address (the client is then
// the last good hop before it).
std::string client_address(std::string_view peer, std::string_view forwarded,
                           const std::vector<Network>& trusted);

}  // namespace ml::server
