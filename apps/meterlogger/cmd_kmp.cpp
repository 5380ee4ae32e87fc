// Placeholder: the kmp subcommands are being written.
#include "common.hpp"

namespace ml::app {
void add_kmp_commands(CLI::App& /*app*/) {}
}  // namespace ml::app
