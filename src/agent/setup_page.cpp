#include "agent/setup_page.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <system_error>

namespace ml::agent {

std::vector<std::string> setup_page_module_candidates(const std::string& configured) {
  if (!configured.empty()) return {configured};
  std::vector<std::string> out;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = exe.parent_path();
    out.push_back((dir / kSetupPageModuleName).string());
    out.push_back((dir / ".." / "lib" / "meterlogger" / kSetupPageModuleName).lexically_normal());
  }
#ifdef ML_SETUP_PAGE_BUILD_DIR
  out.push_back(std::string(ML_SETUP_PAGE_BUILD_DIR) + "/" + kSetupPageModuleName);
#endif
  return out;
}

core::Result<SetupPageModule> load_setup_page_module(const std::string& configured) {
  const auto candidates = setup_page_module_candidates(configured);
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return core::make_error(core::Errc::config_invalid,
                              "cannot load the setup page module " + path + ": " +
                                  (why != nullptr ? why : "unknown error"));
    }
    auto version =
        reinterpret_cast<setup_page::ApiVersionFn>(::dlsym(handle, setup_page::kApiVersionSymbol));
    SetupPageModule m;
    m.path = path;
    m.start = reinterpret_cast<setup_page::StartFn>(::dlsym(handle, setup_page::kStartSymbol));
    m.hash_password = reinterpret_cast<setup_page::HashPasswordFn>(
        ::dlsym(handle, setup_page::kHashPasswordSymbol));
    m.start_metrics = reinterpret_cast<setup_page::StartMetricsFn>(
        ::dlsym(handle, setup_page::kStartMetricsSymbol));
    if (version == nullptr || m.start == nullptr || m.hash_password == nullptr ||
        m.start_metrics == nullptr) {
      return core::make_error(core::Errc::config_invalid,
                              path + " is not a MeterLogger setup page module");
    }
    if (version() != setup_page::kApiVersion) {
      return core::make_error(core::Errc::config_invalid,
                              path + " is for another version of the agent (API " +
                                  std::to_string(version()) + ", this agent has " +
                                  std::to_string(setup_page::kApiVersion) + ")");
    }
    return m;
  }
  return core::make_error(core::Errc::config_invalid,
                          "the setup page module " + std::string(kSetupPageModuleName) +
                              " was not found (tried " + tried + "); set [setup] module");
}

}  // namespace ml::agent
