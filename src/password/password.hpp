// Passwords: Argon2id through libsodium (crypto_pwhash_str: 2 passes over 19 MiB, a per-hash
// salt, the parameters inside the string). Used by the agent's setup page and the server's
// users; a library of its own so the agent binary itself never links libsodium.
#pragma once

#include <string>

namespace ml::password {

// true and the hash in *out, or false and why in *out (an empty password is refused).
bool hash_password(const std::string& password, std::string* out);
// Whether `password` matches `hash` (false for anything that is not such a hash).
bool verify_password(const std::string& hash, const std::string& password);

}  // namespace ml::password
