// Finding and loading the setup page module (src/setup_page/api.hpp). The module stays loaded
// for the life of the process once loaded.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "setup_page/api.hpp"

namespace ml::agent {

inline constexpr const char* kSetupPageModuleName = "meterlogger-setup-page.so";

struct SetupPageModule {
  std::string path;
  setup_page::StartFn start = nullptr;
  setup_page::StartMetricsFn start_metrics = nullptr;  // GET /metrics ([metrics])
  setup_page::HashPasswordFn hash_password = nullptr;
};

// Where the module is looked for: `configured` alone when set; otherwise beside the running
// program, in ../lib/meterlogger/ from it, and in the build tree it was built in.
std::vector<std::string> setup_page_module_candidates(const std::string& configured);

// Loads the first candidate that exists. Errors name every place tried, or what is wrong with
// the module found (a missing entry point, another API version).
core::Result<SetupPageModule> load_setup_page_module(const std::string& configured);

}  // namespace ml::agent
