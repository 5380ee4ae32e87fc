// Access to the verified vectors in tests/data/ (copied from the specification's testdata).
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ml::test {

inline nlohmann::json load_json(const std::string& name) {
  const std::string path = std::string(ML_TEST_DATA_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

}  // namespace ml::test
