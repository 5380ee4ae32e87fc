// What the HTTP API's unit tests share (server_admin_api_test.cpp, server_authorisation_test.cpp):
// sessions made straight in the store, under tokens the tests can write, and one password hash.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "core/bytes.hpp"
#include "core/totp/totp.hpp"
#include "password/password.hpp"

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

}  // namespace ml::server::http::api_test
