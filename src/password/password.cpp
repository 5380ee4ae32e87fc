#include "password/password.hpp"

#include <sodium.h>

namespace ml::password {
namespace {
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024 * 1024;
}  // namespace

bool hash_password(const std::string& password, std::string* out) {
  if (sodium_init() < 0) {
    *out = "libsodium cannot start";
    return false;
  }
  if (password.empty()) {
    *out = "the password is empty";
    return false;
  }
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    *out = "out of memory while hashing";
    return false;
  }
  *out = hash;
  return true;
}

bool verify_password(const std::string& hash, const std::string& password) {
  if (sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string secret_hash(std::string_view secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[2 * sizeof digest + 1];  // lower case, as core::to_hex writes it
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace ml::password
