#include "emulator.hpp"

#include <stdexcept>

namespace ml::test {

Emulator::Emulator(const TempDir& dir, const std::string& kind, std::vector<std::string> extra,
                   const std::string& name)
    : link_(dir.file(name)), control_(dir.file(name + ".ctl")) {
  std::vector<std::string> argv = {meterlogger(), "sim",       kind,     "--link",
                                   link_,         "--control", control_, "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv, dir.file(name + ".log"));
  if (!wait_for_path(control_) || !wait_for_path(link_)) {
    throw std::runtime_error("emulator did not start: " + process_->log());
  }
  control_client_ = std::make_unique<Control>(control_);
}

RunResult read_meter(const std::string& link, std::vector<std::string> extra) {
  std::vector<std::string> argv = {meterlogger(), "read", "--port", link, "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, scaled(std::chrono::seconds(120)));
}

}  // namespace ml::test
