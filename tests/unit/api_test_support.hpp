// What the HTTP API's unit tests share (server_admin_api_test.cpp, server_authorisation_test.cpp):
// sessions made straight in the store, under tokens the tests can write, and one password hash.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/totp/totp.hpp"
#include "password/password.hpp"
#include "server/store.hpp"

namespace ml::server::http::api_test {

// A session's token: the name padded with zeros to 64 hex digits.
inline std::string token_of(const std::string& name) {
  std::string hex = core::to_hex(
      core::ByteView(reinterpret_cast<const unsigned char*>(name.data()), name.size()));
  hex.resize(64, '0');
  return hex;
}

// How sessions are stored: under the SHA-256 of their token (hex), computed here on its own.
inline std::string sha256_hex(const std::string& text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return core::to_hex(core::ByteView(digest, sizeof digest));
}

// The global admin's TOTP secret.
inline const core::Bytes& root_secret() {
  static const core::Bytes secret(core::totp::kSecretBytes, 0x42);
  return secret;
}

// One Argon2id hash of "pass-word-1" for every user: hashing is slow on purpose.
inline const std::string& shared_hash() {
  static const std::string hash = [] {
    std::string h;
    EXPECT_TRUE(password::hash_password("pass-word-1", &h));
    return h;
  }();
  return hash;
}

// A staff user with the shared password and a session under token_of(name) (CSRF token
// "csrf-<name>", an hour from `now`); an admin of every group also gets a confirmed second factor
// of root_secret(), as the default [http] second_factor asks.
inline void add_staff(ServerStore& store, const char* name, Role role,
                      std::vector<std::string> groups, std::int64_t now) {
  User u{name, shared_hash(), role, std::move(groups), 0};
  EXPECT_TRUE(store.add_user(u).ok());
  if (is_global_admin(u)) {
    EXPECT_TRUE(
        store.put_second_factor(name, {core::totp::base32_encode(root_secret()), true, -1, 0}, {})
            .ok());
  }
  Session s{name, std::string("csrf-") + name, now, now + 3600, "10.0.0.1"};
  EXPECT_TRUE(store.insert_session(sha256_hex(token_of(name)), s).ok());
}

}  // namespace ml::server::http::api_test
