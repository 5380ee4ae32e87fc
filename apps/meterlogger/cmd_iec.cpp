// Placeholder: the iec subcommands are being written.
#include "common.hpp"

namespace ml::app {
void add_iec_commands(CLI::App& /*app*/) {}
}  // namespace ml::app
