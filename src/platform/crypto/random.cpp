#include "platform/crypto/random.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

namespace ml::platform {

core::Result<core::Bytes> random_bytes(std::size_t size) {
  // getrandom() from the kernel's pool returns up to 256 bytes at once or fails.
  // (OpenSSL's RAND_bytes would load its default provider: ~1.8 MiB resident.)
  if (size > 256) {
    return core::make_error(core::Errc::invalid_argument,
                            "at most 256 random bytes at once, not " + std::to_string(size));
  }
  core::Bytes out(size);
  ssize_t got = -1;
  do {
    got = getrandom(out.data(), out.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(out.size())) {
    return core::make_error(core::Errc::envelope_crypto_failure,
                            "cannot get random bytes from the operating system");
  }
  return out;
}

core::Result<core::envelope::Iv> random_iv() {
  auto bytes = random_bytes(core::envelope::Iv{}.size());
  if (!bytes) return bytes.error();
  core::envelope::Iv iv{};
  std::copy(bytes->begin(), bytes->end(), iv.begin());
  return iv;
}

core::Result<core::Bytes> seal_random(const core::envelope::Keys& keys, std::string_view topic,
                                      std::string_view text, core::envelope::Padding padding) {
  auto iv = random_iv();
  if (!iv) return iv.error();
  return core::envelope::seal(keys, topic, *iv, text, padding);
}

}  // namespace ml::platform
