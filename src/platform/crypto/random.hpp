// Randomness from the operating system (getrandom) for envelope IVs and new meter keys.
#pragma once

#include "core/envelope/envelope.hpp"
#include "core/result.hpp"

namespace ml::platform {

// `size` fresh random bytes (at most 256); an error only when the operating system has no
// entropy to give.
core::Result<core::Bytes> random_bytes(std::size_t size);

// 16 fresh random bytes.
core::Result<core::envelope::Iv> random_iv();

// Seals text with a fresh random IV.
core::Result<core::Bytes> seal_random(const core::envelope::Keys& keys, std::string_view topic,
                                      std::string_view text, core::envelope::Padding padding);

}  // namespace ml::platform
