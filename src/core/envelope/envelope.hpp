// The MeterLogger "v2" message envelope: one text message, encrypted with AES-128-CBC and
// authenticated with HMAC-SHA256 over its MQTT topic, IV and ciphertext.
//
//   payload = HMAC-SHA256(hmac_key, topic || IV || ciphertext)   32 bytes
//           || IV                                                16 bytes
//           || AES-128-CBC(aes_key, IV, text || NUL || padding)  n x 16 bytes
//
// Both keys come from one 16-byte master key: SHA-256(master) = aes_key || hmac_key. The topic
// is hashed exactly as published, without a terminating NUL. Everything here is a pure function
// of its arguments: the caller supplies the IV (fresh random bytes for every message).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::core::envelope {

inline constexpr std::size_t kMasterKeySize = 16;
inline constexpr std::size_t kKeySize = 16;  // each of the AES key and the HMAC key
inline constexpr std::size_t kMacSize = 32;
inline constexpr std::size_t kIvSize = 16;
inline constexpr std::size_t kBlockSize = 16;
inline constexpr std::size_t kHeaderSize = kMacSize + kIvSize;  // 48: HMAC, then IV

// Bounds of this implementation. The largest text seals to 48 + 4112 = 4160 bytes; open accepts
// up to 8 KiB so a peer with a slightly larger limit still interoperates.
inline constexpr std::size_t kMaxTextSize = 4096;
inline constexpr std::size_t kMaxPayloadSize = 8192;

// Limits of the original firmware for an incoming message: topic length < 128 and payload
// length < 512 bytes. A command for such a device therefore carries at most 446 bytes of text
// (28 blocks = 448 bytes of ciphertext hold text, NUL and at least one PKCS#7 byte).
inline constexpr std::size_t kDeviceMaxTopicSize = 127;
inline constexpr std::size_t kDeviceMaxPayloadSize = 511;
inline constexpr std::size_t kDeviceMaxTextSize = 446;

using MasterKey = std::array<std::uint8_t, kMasterKeySize>;
using Key = std::array<std::uint8_t, kKeySize>;
using Iv = std::array<std::uint8_t, kIvSize>;
using Mac = std::array<std::uint8_t, kMacSize>;

// The two working keys derived from a master key.
struct Keys {
  Key aes;   // SHA-256(master)[0..15]
  Key hmac;  // SHA-256(master)[16..31]; a 16-byte HMAC key (zero-padded to the block by HMAC)

  // SHA-256 of the master key, i.e. aes || hmac.
  std::array<std::uint8_t, 32> digest() const;
};

// Derives the AES and HMAC keys from the master key bytes.
Result<Keys> derive_keys(const MasterKey& master);

// Parses a master key written as exactly 32 hex digits (either case, nothing else).
// Errors: envelope_bad_key with the problem (wrong length, a character that is not hex).
Result<MasterKey> parse_master_key(std::string_view hex);

// parse_master_key, then derive_keys.
Result<Keys> derive_keys_from_hex(std::string_view hex);

// Password of the device's setup access point: the first 16 hex digits of the key text, lower
// case (hex of master key bytes 0..7). Note that it reveals half of the master key.
std::string setup_ap_password(const MasterKey& master);

// Padding of text || NUL to whole AES blocks.
enum class Padding : std::uint8_t {
  pkcs7,  // 1..16 bytes of value n, always added (current firmware, the server)
  zero,   // 0..15 zero bytes, none when already aligned (firmware of 2018)
};

// "pkcs7" or "zero".
std::string_view padding_name(Padding padding);

// Payload size that seal produces for a text of text_size bytes.
std::size_t sealed_size(std::size_t text_size, Padding padding);

// Seals text for topic. The text may be empty but must not contain a NUL byte and must be at
// most kMaxTextSize bytes (envelope_bad_text otherwise).
Result<Bytes> seal(const Keys& keys, std::string_view topic, const Iv& iv, std::string_view text,
                   Padding padding = Padding::pkcs7);

// Lower level: encrypts plaintext that is already padded (a non-zero multiple of 16 bytes, at
// most kMaxPayloadSize - 48) and authenticates it. seal(...) == seal_blocks(..., text||NUL||pad).
Result<Bytes> seal_blocks(const Keys& keys, std::string_view topic, const Iv& iv,
                          ByteView padded_plaintext);

// HMAC-SHA256 over topic || iv_and_ciphertext (the payload from offset 32 on).
Result<Mac> compute_mac(const Keys& keys, std::string_view topic, ByteView iv_and_ciphertext);

// Whether open accepts a message whose text is empty ("" + NUL). The original firmware drops
// such commands, but it sends empty replies itself (`ping`, `clear_cron`).
enum class EmptyText : std::uint8_t { reject, accept };

struct Opened {
  std::string text;  // the plaintext up to its first NUL
  Padding padding;   // the padding the sender used
};

// AES-128-CBC decryption through libcrypto's EVP interface, which uses the CPU's AES
// instructions where it has them (AES-NI, the ARMv8 crypto extension): faster than the low-level
// interface open_message uses by default (1 µs to 0.6 µs a sample on the server, most of it
// setting the key; bench/RESULTS.md), at the cost of loading libcrypto's
// default provider once per process (~1.8 MiB resident, which the agent does not pay). For the
// server, which opens thousands of messages a second. One per thread.
class Decryptor {
 public:
  Decryptor();
  ~Decryptor();
  Decryptor(const Decryptor&) = delete;
  Decryptor& operator=(const Decryptor&) = delete;
  // Whole blocks, no padding removed; out has room for in.size() bytes.
  Status decrypt(const Key& key, const std::uint8_t* iv, ByteView in, std::uint8_t* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Authenticates and decrypts a payload received on topic. Checks, in this order, each with its
// own error (nothing is decrypted before the HMAC has been verified):
//   envelope_too_short    payload < 48 bytes
//   envelope_too_long     payload > kMaxPayloadSize
//   envelope_bad_length   ciphertext empty or not a multiple of 16 bytes
//   envelope_bad_mac      HMAC mismatch (compared in constant time): wrong key, wrong topic, or
//                         an altered payload
//   envelope_bad_padding  neither valid PKCS#7 nor zero padding (last byte 0)
//   envelope_empty        the text before the first NUL is empty (unless EmptyText::accept);
//                         only reported for authentic messages
// With a Decryptor, it decrypts (the same result, faster).
Result<Opened> open_message(const Keys& keys, std::string_view topic, ByteView payload,
                            EmptyText empty = EmptyText::reject, Decryptor* decryptor = nullptr);

// open_message(...).text with empty texts rejected.
Result<std::string> open(const Keys& keys, std::string_view topic, ByteView payload);

}  // namespace ml::core::envelope
