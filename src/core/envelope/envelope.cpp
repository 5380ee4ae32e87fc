#include "core/envelope/envelope.hpp"

// The low-level AES and SHA-256 interfaces are used on purpose: they are deprecated in OpenSSL 3
// but compute the same functions without loading a provider. Fetching through EVP loads the
// default provider, which costs every process ~1.8 MiB of resident memory (measured on the
// agent, bench/RESULTS.md) for three fixed algorithms. The one exception is Decryptor, which
// the server passes to open_message: there the AES instructions are worth the provider.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/aes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "core/ascii.hpp"

namespace ml::core::envelope {
namespace {

Error crypto_failure(std::string_view what) {
  return make_error(Errc::envelope_crypto_failure, std::string(what) + " failed in libcrypto");
}

// Erases a buffer that held plaintext or key material before it is released.
void wipe(void* data, std::size_t size) {
  if (size != 0) OPENSSL_cleanse(data, size);
}
void wipe(Bytes& bytes) {
  wipe(bytes.data(), bytes.size());
}

// AES-128-CBC over whole blocks, without padding (we pad and unpad ourselves).
// out must have room for in.size() bytes; in.size() is a multiple of the block size.
Status aes_cbc(bool encrypt, const Key& key, const std::uint8_t* iv, ByteView in,
               std::uint8_t* out) {
  AES_KEY schedule;
  const int rc = encrypt ? AES_set_encrypt_key(key.data(), 128, &schedule)
                         : AES_set_decrypt_key(key.data(), 128, &schedule);
  if (rc != 0) return crypto_failure("AES-128 key setup");
  std::array<std::uint8_t, kBlockSize> chain{};
  std::copy_n(iv, kBlockSize, chain.begin());
  AES_cbc_encrypt(in.data(), out, in.size(), &schedule, chain.data(),
                  encrypt ? AES_ENCRYPT : AES_DECRYPT);
  wipe(&schedule, sizeof schedule);
  return Ok{};
}

// HMAC-SHA256 (RFC 2104) of the concatenation of two parts.
Mac hmac_sha256(const Key& key, ByteView first, ByteView second) {
  constexpr std::size_t kSha256Block = 64;
  std::array<std::uint8_t, kSha256Block> pad{};  // the key, zero-filled to one SHA-256 block
  std::copy(key.begin(), key.end(), pad.begin());
  for (auto& b : pad)
    b ^= 0x36;
  Mac inner{};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, first.data(), first.size());
  SHA256_Update(&ctx, second.data(), second.size());
  SHA256_Final(inner.data(), &ctx);
  for (auto& b : pad)
    b ^= 0x36 ^ 0x5c;
  Mac mac{};
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, pad.data(), pad.size());
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(mac.data(), &ctx);
  wipe(pad.data(), pad.size());
  wipe(&ctx, sizeof ctx);
  return mac;
}

// Reads a hex digit, -1 if c is not one.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// --- keys ---------------------------------------------------------------------------------------

std::array<std::uint8_t, 32> Keys::digest() const {
  std::array<std::uint8_t, 32> out{};
  std::copy(aes.begin(), aes.end(), out.begin());
  std::copy(hmac.begin(), hmac.end(), out.begin() + kKeySize);
  return out;
}

Result<Keys> derive_keys(const MasterKey& master) {
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, master.data(), master.size()) != 1 ||
      SHA256_Final(digest.data(), &ctx) != 1) {
    return crypto_failure("SHA-256");
  }
  Keys keys{};
  std::copy_n(digest.begin(), kKeySize, keys.aes.begin());
  std::copy_n(digest.begin() + kKeySize, kKeySize, keys.hmac.begin());
  wipe(digest.data(), digest.size());
  return keys;
}

Result<MasterKey> parse_master_key(std::string_view hex) {
  if (hex.size() != 2 * kMasterKeySize) {
    return make_error(Errc::envelope_bad_key, "a key is 32 hex digits (16 bytes), got " +
                                                  std::to_string(hex.size()) + " characters");
  }
  MasterKey key{};
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const int v = hex_digit(hex[i]);
    if (v < 0) {
      return make_error(Errc::envelope_bad_key, describe_char(hex[i]) + " at position " +
                                                    std::to_string(i) + " is not a hex digit");
    }
    key[i / 2] = static_cast<std::uint8_t>(i % 2 == 0 ? v << 4 : key[i / 2] | v);
  }
  return key;
}

Result<Keys> derive_keys_from_hex(std::string_view hex) {
  auto master = parse_master_key(hex);
  if (!master) return master.error();
  auto keys = derive_keys(*master);
  wipe(master->data(), master->size());
  return keys;
}

std::string setup_ap_password(const MasterKey& master) {
  return to_hex(ByteView(master.data(), 8));
}

// --- seal ---------------------------------------------------------------------------------------

std::string_view padding_name(Padding padding) {
  return padding == Padding::pkcs7 ? "pkcs7" : "zero";
}

std::size_t sealed_size(std::size_t text_size, Padding padding) {
  const std::size_t plain = text_size + 1;  // the NUL terminator is encrypted too
  const std::size_t blocks =
      padding == Padding::pkcs7 ? plain / kBlockSize + 1 : (plain + kBlockSize - 1) / kBlockSize;
  return kHeaderSize + blocks * kBlockSize;
}

Result<Mac> compute_mac(const Keys& keys, std::string_view topic, ByteView iv_and_ciphertext) {
  return hmac_sha256(keys.hmac, as_bytes(topic), iv_and_ciphertext);
}

Result<Bytes> seal_blocks(const Keys& keys, std::string_view topic, const Iv& iv,
                          ByteView padded_plaintext) {
  if (padded_plaintext.empty() || padded_plaintext.size() % kBlockSize != 0) {
    return make_error(Errc::envelope_bad_length, "padded plaintext is " +
                                                     std::to_string(padded_plaintext.size()) +
                                                     " bytes, not a non-zero multiple of 16");
  }
  if (padded_plaintext.size() > kMaxPayloadSize - kHeaderSize) {
    return make_error(Errc::envelope_too_long,
                      "padded plaintext is " + std::to_string(padded_plaintext.size()) +
                          " bytes, at most " + std::to_string(kMaxPayloadSize - kHeaderSize));
  }
  Bytes payload(kHeaderSize + padded_plaintext.size());
  std::copy(iv.begin(), iv.end(), payload.begin() + kMacSize);
  if (auto s = aes_cbc(true, keys.aes, iv.data(), padded_plaintext, payload.data() + kHeaderSize);
      !s) {
    return s.error();
  }
  auto mac = compute_mac(keys, topic, ByteView(payload).subspan(kMacSize));
  if (!mac) return mac.error();
  std::copy(mac->begin(), mac->end(), payload.begin());
  return payload;
}

Result<Bytes> seal(const Keys& keys, std::string_view topic, const Iv& iv, std::string_view text,
                   Padding padding) {
  if (text.size() > kMaxTextSize) {
    return make_error(Errc::envelope_bad_text, "text is " + std::to_string(text.size()) +
                                                   " bytes, at most " +
                                                   std::to_string(kMaxTextSize) + " can be sealed");
  }
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return make_error(Errc::envelope_bad_text,
                      "text contains a NUL byte at offset " + std::to_string(nul) +
                          " (the NUL terminates the text on the receiving side)");
  }
  const std::size_t plain_size = sealed_size(text.size(), padding) - kHeaderSize;
  // text || NUL || padding; zero padding is the zero fill of the vector.
  Bytes plain(plain_size, 0);
  std::copy(text.begin(), text.end(), plain.begin());
  if (padding == Padding::pkcs7) {
    const std::size_t n = plain_size - (text.size() + 1);
    std::fill(plain.begin() + static_cast<std::ptrdiff_t>(plain_size - n), plain.end(),
              static_cast<std::uint8_t>(n));
  }
  auto payload = seal_blocks(keys, topic, iv, plain);
  wipe(plain);
  return payload;
}

// --- open ---------------------------------------------------------------------------------------

struct Decryptor::Impl {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* ctx = nullptr;
  bool ready = false;  // ctx has the cipher (later calls only set the key and IV: cheaper)
};

Decryptor::Decryptor() : impl_(std::make_unique<Impl>()) {
  impl_->cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  impl_->ctx = EVP_CIPHER_CTX_new();
}

Decryptor::~Decryptor() {
  EVP_CIPHER_CTX_free(impl_->ctx);
  EVP_CIPHER_free(impl_->cipher);
}

Status Decryptor::decrypt(const Key& key, const std::uint8_t* iv, ByteView in, std::uint8_t* out) {
  int written = 0;
  int last = 0;
  if (impl_->cipher == nullptr || impl_->ctx == nullptr ||
      EVP_DecryptInit_ex2(impl_->ctx, impl_->ready ? nullptr : impl_->cipher, key.data(), iv,
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(impl_->ctx, 0) != 1 ||
      EVP_DecryptUpdate(impl_->ctx, out, &written, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_DecryptFinal_ex(impl_->ctx, out + written, &last) != 1 ||
      static_cast<std::size_t>(written + last) != in.size()) {
    impl_->ready = false;
    return crypto_failure("AES-128-CBC (EVP)");
  }
  impl_->ready = true;
  return Ok{};
}

Result<Opened> open_message(const Keys& keys, std::string_view topic, ByteView payload,
                            EmptyText empty, Decryptor* decryptor) {
  if (payload.size() < kHeaderSize) {
    return make_error(Errc::envelope_too_short,
                      "got " + std::to_string(payload.size()) + " bytes (HMAC and IV take 48)");
  }
  if (payload.size() > kMaxPayloadSize) {
    return make_error(Errc::envelope_too_long, "got " + std::to_string(payload.size()) +
                                                   " bytes, at most " +
                                                   std::to_string(kMaxPayloadSize) + " accepted");
  }
  const ByteView ciphertext = payload.subspan(kHeaderSize);
  if (ciphertext.empty()) {
    return make_error(Errc::envelope_bad_length,
                      "no ciphertext after HMAC and IV (at least one 16-byte block is needed)");
  }
  if (ciphertext.size() % kBlockSize != 0) {
    return make_error(Errc::envelope_bad_length, "the ciphertext after HMAC and IV is " +
                                                     std::to_string(ciphertext.size()) + " bytes");
  }

  // Authenticate first: nothing about the plaintext is looked at before this succeeds.
  auto mac = compute_mac(keys, topic, payload.subspan(kMacSize));
  if (!mac) return mac.error();
  if (CRYPTO_memcmp(mac->data(), payload.data(), kMacSize) != 0) {
    return make_error(Errc::envelope_bad_mac,
                      "the payload was not sealed with this key for this topic, or was altered");
  }

  Bytes plain(ciphertext.size());
  const std::uint8_t* iv = payload.data() + kMacSize;
  if (auto s = decryptor != nullptr ? decryptor->decrypt(keys.aes, iv, ciphertext, plain.data())
                                    : aes_cbc(false, keys.aes, iv, ciphertext, plain.data());
      !s) {
    return s.error();
  }

  // Padding: valid PKCS#7 (last byte n in 1..16, the last n bytes all n) is stripped; a last
  // byte of 0 is zero padding (the plaintext ends with the NUL or its zero fill). PKCS#7 never
  // ends in 0, so the two cannot be confused.
  const std::uint8_t last = plain.back();
  std::size_t text_end = plain.size();
  Padding padding = Padding::zero;
  if (last >= 1 && last <= kBlockSize) {
    const bool valid =
        std::all_of(plain.end() - last, plain.end(), [last](std::uint8_t b) { return b == last; });
    if (!valid) {
      wipe(plain);
      return make_error(Errc::envelope_bad_padding,
                        "last byte " + std::to_string(last) +
                            " announces PKCS#7 padding, but the padding bytes differ");
    }
    padding = Padding::pkcs7;
    text_end -= last;
  } else if (last != 0) {
    wipe(plain);
    return make_error(Errc::envelope_bad_padding,
                      "last byte " + std::to_string(last) +
                          " is neither a PKCS#7 pad length (1..16) nor zero padding");
  }

  // The text ends at the first NUL (a plaintext without any NUL is taken whole).
  const auto begin = plain.begin();
  const auto end = std::find(begin, begin + static_cast<std::ptrdiff_t>(text_end), 0);
  Opened opened{std::string(begin, end), padding};
  wipe(plain);
  if (opened.text.empty() && empty == EmptyText::reject) {
    return make_error(Errc::envelope_empty,
                      "the authenticated message holds no text before its NUL terminator");
  }
  return opened;
}

Result<std::string> open(const Keys& keys, std::string_view topic, ByteView payload) {
  auto opened = open_message(keys, topic, payload, EmptyText::reject);
  if (!opened) return opened.error();
  return std::move(opened->text);
}

}  // namespace ml::core::envelope
