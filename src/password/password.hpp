// Passwords: Argon2id through libsodium (crypto_pwhash_str: 2 passes over 19 MiB, a per-hash
// salt, the parameters inside the string). Used by the agent's setup page and the server's
// users; a library of its own so the agent binary itself never links libsodium. Also the fast
// hash of random secrets (session tokens, recovery and login codes).
#pragma once

#include <string>
#include <string_view>

namespace ml::password {

// true and the hash in *out, or false and why in *out (an empty password is refused).
bool hash_password(const std::string& password, std::string* out);
// Whether `password` matches `hash` (false for anything that is not such a hash).
bool verify_password(const std::string& hash, const std::string& password);

// The SHA-256 of a random secret, hex (64 characters): what is stored of a session token, a
// recovery code or a login code instead of the secret itself. Fast on purpose: only for
// secrets too random to guess one by one (a password takes hash_password).
std::string secret_hash(std::string_view secret);

}  // namespace ml::password
