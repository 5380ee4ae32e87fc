// Starts a `meterlogger sim ...` emulator as a child process for a test, and talks to it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ml::test {

class Emulator {
 public:
  // kind: "kmp", "mc66c", "mc66b"; extra: further command-line options.
  Emulator(const TempDir& dir, const std::string& kind, std::vector<std::string> extra = {},
           const std::string& name = "meter");
  const std::string& link() const { return link_; }
  const std::string& control_path() const { return control_; }
  nlohmann::json request(const nlohmann::json& r) { return control_client_->request(r); }
  nlohmann::json state() { return request({{"cmd", "state"}}); }
  nlohmann::json last_reply() { return request({{"cmd", "last_reply"}})["reply"]; }
  Process& process() { return *process_; }

 private:
  std::string link_;
  std::string control_;
  std::unique_ptr<Process> process_;
  std::unique_ptr<Control> control_client_;
};

// `meterlogger read --port LINK --json ...`: the parsed JSON on success (status 0).
RunResult read_meter(const std::string& link, std::vector<std::string> extra = {});

}  // namespace ml::test
