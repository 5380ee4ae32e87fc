#include "core/envelope/envelope.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

namespace ml::core::envelope {
namespace {

// --- OpenSSL plumbing -----------------------------------------------------------------------
// The algorithm objects are fetched once and kept for the life of the process (an immutable
// cache; fetching on every call costs more than the cryptography for short messages).

const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

const EVP_CIPHER* aes_128_cbc() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  return cipher;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// An HMAC context with SHA-256 selected and no key yet. compute_mac duplicates it, which skips
// the digest lookup that a fresh context would do on every message. Only read after creation.
const EVP_MAC_CTX* hmac_sha256_template() {
  static EVP_MAC_CTX* const ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return static_cast<EVP_MAC_CTX*>(nullptr);
    EVP_MAC_CTX* c = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (c != nullptr && EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      c = nullptr;
    }
    return c;
  }();
  return ctx;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

Error crypto_failure(std::string_view what) {
  return make_error(Errc::envelope_crypto_failure, std::string(what) + " failed in libcrypto");
}

// Erases a buffer that held plaintext before it is released.
void wipe(Bytes& bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

// AES-128-CBC over whole blocks, without OpenSSL's padding (we pad and unpad ourselves).
// out must have room for in.size() bytes.
Status aes_cbc(bool encrypt, const Key& key, const std::uint8_t* iv, ByteView in,
               std::uint8_t* out) {
  const EVP_CIPHER* cipher = aes_128_cbc();
  if (cipher == nullptr) return crypto_failure("fetching AES-128-CBC");
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return crypto_failure("allocating a cipher context");
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return crypto_failure("AES-128-CBC setup");
  }
  int written = 0;
  if (EVP_CipherUpdate(ctx.get(), out, &written, in.data(), static_cast<int>(in.size())) != 1) {
    return crypto_failure("AES-128-CBC");
  }
  int final_written = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out + written, &final_written) != 1 ||
      static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) != in.size()) {
    return crypto_failure("AES-128-CBC");
  }
  return Ok{};
}

// Reads a hex digit, -1 if c is not one.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A character for an error message: printable ASCII as itself, anything else as \xNN.
std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  constexpr std::string_view kHex = "0123456789abcdef";
  return std::string("byte \\x") + kHex[u >> 4] + kHex[u & 0x0F];
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
  const EVP_MD* md = sha256_md();
  if (md == nullptr) return crypto_failure("fetching SHA-256");
  std::array<std::uint8_t, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(master.data(), master.size(), digest.data(), &size, md, nullptr) != 1 ||
      size != digest.size()) {
    return crypto_failure("SHA-256");
  }
  Keys keys{};
  std::copy_n(digest.begin(), kKeySize, keys.aes.begin());
  std::copy_n(digest.begin() + kKeySize, kKeySize, keys.hmac.begin());
  OPENSSL_cleanse(digest.data(), digest.size());
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
  OPENSSL_cleanse(master->data(), master->size());
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
  const EVP_MAC_CTX* prepared = hmac_sha256_template();
  if (prepared == nullptr) return crypto_failure("setting up HMAC-SHA256");
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_dup(prepared));
  if (!ctx) return crypto_failure("allocating an HMAC context");
  Mac mac{};
  std::size_t size = 0;
  if (EVP_MAC_init(ctx.get(), keys.hmac.data(), keys.hmac.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), as_bytes(topic).data(), topic.size()) != 1 ||
      EVP_MAC_update(ctx.get(), iv_and_ciphertext.data(), iv_and_ciphertext.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &size, mac.size()) != 1 || size != mac.size()) {
    return crypto_failure("HMAC-SHA256");
  }
  return mac;
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

Result<Opened> open_message(const Keys& keys, std::string_view topic, ByteView payload,
                            EmptyText empty) {
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
  if (auto s = aes_cbc(false, keys.aes, payload.data() + kMacSize, ciphertext, plain.data()); !s) {
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
