#include "platform/crypto/random.hpp"

#include <sys/random.h>

#include <cerrno>

namespace ml::platform {

core::Result<core::envelope::Iv> random_iv() {
  core::envelope::Iv iv{};
  // getrandom() from the kernel's pool; for 16 bytes it returns them all at once or fails.
  // (OpenSSL's RAND_bytes would load its default provider: ~1.8 MiB resident for 16 bytes.)
  ssize_t got = -1;
  do {
    got = getrandom(iv.data(), iv.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(iv.size())) {
    return core::make_error(core::Errc::envelope_crypto_failure,
                            "cannot get random bytes from the operating system");
  }
  return iv;
}

core::Result<core::Bytes> seal_random(const core::envelope::Keys& keys, std::string_view topic,
                                      std::string_view text, core::envelope::Padding padding) {
  auto iv = random_iv();
  if (!iv) return iv.error();
  return core::envelope::seal(keys, topic, *iv, text, padding);
}

}  // namespace ml::platform
