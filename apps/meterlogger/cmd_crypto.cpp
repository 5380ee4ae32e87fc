// Placeholder: the crypto subcommands are being written.
#include "common.hpp"

namespace ml::app {
void add_crypto_commands(CLI::App& /*app*/) {}
}  // namespace ml::app
