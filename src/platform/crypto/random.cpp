#include "platform/crypto/random.hpp"

#include <openssl/rand.h>

namespace ml::platform {

core::Result<core::envelope::Iv> random_iv() {
  core::envelope::Iv iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
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
