// The store contract: what every backend of the server's store (server/store.hpp) does, run
// against each backend in kStoreBackends. A new backend adds one row there and passes every
// StoreContract test; a test file of its own may check what only that backend has (a schema
// migration). Each test opens an empty store in a temporary folder.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "postgresql/test_cluster.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"
#include "server/store.hpp"
#include "server/store_ingest.hpp"
#include "sim_support.hpp"

namespace ml::server::test_store {

struct StoreBackend {
  const char* name;
  // Opens the store kept in `folder`; a second call with the same folder is a second connection
  // to the same data.
  std::function<core::Result<std::unique_ptr<ServerStore>>(const std::string& folder)> open;
};

// What gtest prints for a backend (its name, not its bytes).
inline void PrintTo(const StoreBackend& b, std::ostream* os) {
  *os << b.name;
}

inline const StoreBackend kStoreBackends[] = {
    {"sqlite",
     [](const std::string& folder) -> core::Result<std::unique_ptr<ServerStore>> {
       auto s = SqliteStore::open(folder + "/server.db");
       if (!s) return s.error();
       return std::unique_ptr<ServerStore>(std::move(s).value());
     }},
    {"postgresql",
     [](const std::string& folder) -> core::Result<std::unique_ptr<ServerStore>> {
       auto s = PostgresStore::open(test::test_schema_url(folder));
       if (!s) return s.error();
       return std::unique_ptr<ServerStore>(std::move(s).value());
     }},
};

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { store_ = open_again(); }
  std::unique_ptr<ServerStore> open_again() { return GetParam().open(dir_.file("s")).value(); }

  IngestItem sample(std::int64_t time, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::sample;
    i.serial = "6892850";
    i.time = time;
    i.function = "sample";
    i.text = text;
    i.sample = core::sample::parse_sample(text).value();
    return i;
  }
  IngestItem diag(std::int64_t time, const std::string& fn, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::diagnostic;
    i.serial = "6892850";
    i.time = time;
    i.function = fn;
    i.text = text;
    return i;
  }
  // The meter most tests use, with `setup_value` (and another like it, with `serial`).
  Meter add_test_meter(const std::string& setup_value = "0",
                       const std::string& serial = "6892850") {
    Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.setup_value = core::Decimal::parse(setup_value).value();
    EXPECT_TRUE(store_->add_meter(m).ok());
    return m;
  }

  test::TempDir dir_;
  std::unique_ptr<ServerStore> store_;
};

}  // namespace ml::server::test_store

// Runs the StoreContract tests of a file against every backend.
#define ML_STORE_CONTRACT(fixture)                                                          \
  INSTANTIATE_TEST_SUITE_P(                                                                 \
      Backends, fixture, ::testing::ValuesIn(::ml::server::test_store::kStoreBackends),     \
      [](const ::testing::TestParamInfo<::ml::server::test_store::StoreBackend>& backend) { \
        return std::string(backend.param.name);                                             \
      })
