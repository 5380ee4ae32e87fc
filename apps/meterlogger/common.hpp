// Helpers shared by the meterlogger subcommands: input reading, output, failure.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/kmp/messages.hpp"
#include "core/result.hpp"

namespace ml::app {

// Thrown by a subcommand to stop with a message on stderr and an exit status; caught in main.
class ToolFailure : public std::runtime_error {
 public:
  ToolFailure(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// Stops the program: "meterlogger: <message>" on stderr, exit status 1 (bad input).
[[noreturn]] void fail(const std::string& message, int status = 1);
[[noreturn]] void fail(const core::Error& error, int status = 1);

// Reads all of standard input (binary-safe), at most max_bytes.
std::string read_stdin(std::size_t max_bytes);
// Reads a whole file (binary-safe), at most max_bytes.
std::string read_file(const std::string& path, std::size_t max_bytes);

// A byte string given on the command line: hex text, or "-" for standard input, where both raw
// bytes and hex text are accepted (text made only of hex digits and spaces is taken as hex).
core::Bytes bytes_argument(const std::string& arg, std::size_t max_bytes);

// Pretty-printed JSON on stdout, followed by a newline.
void print_json(const nlohmann::ordered_json& j);

// A KMP register as JSON: id and, when the catalogue knows it, name and description.
nlohmann::ordered_json kmp_register_json(std::uint16_t id);
// A KMP register value as JSON: the above plus unit, unit_code, quantity, the exact value text,
// mantissa, exponent and mantissa length.
nlohmann::ordered_json kmp_value_json(const core::kmp::RegisterValue& v);

// Subcommand groups, one per cmd_*.cpp.
void add_kmp_commands(CLI::App& app);
void add_iec_commands(CLI::App& app);
void add_crypto_commands(CLI::App& app);
void add_read_commands(CLI::App& app);
void add_agent_commands(CLI::App& app, int argc, char** argv);
void add_sim_commands(CLI::App& app);
void add_backfill_command(CLI::App& sim);  // under `sim`
void add_fleet_command(CLI::App& sim);     // under `sim`

}  // namespace ml::app
