// Randomness from the operating system (through OpenSSL's CSPRNG) for envelope IVs.
#pragma once

#include "core/envelope/envelope.hpp"
#include "core/result.hpp"

namespace ml::platform {

// 16 fresh random bytes; an error only when the operating system has no entropy to give.
core::Result<core::envelope::Iv> random_iv();

// Seals text with a fresh random IV.
core::Result<core::Bytes> seal_random(const core::envelope::Keys& keys, std::string_view topic,
                                      std::string_view text, core::envelope::Padding padding);

}  // namespace ml::platform
