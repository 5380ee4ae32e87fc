// The store contract (store_contract.hpp) for what an import keeps (store/imports.hpp): its
// progress per source table, never lowered, and the meters' default prices, exact.
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreImportsContract : public StoreContract {};

TEST_P(StoreImportsContract, ProgressPerSourceAndTableNeverGoesBack) {
  EXPECT_EQ(store_->import_progress("mlw", "samples").value(), 0);
  ASSERT_TRUE(store_->set_import_progress("mlw", "samples", 500).ok());
  ASSERT_TRUE(store_->set_import_progress("mlw", "accounts", 7).ok());
  EXPECT_EQ(store_->import_progress("mlw", "samples").value(), 500);
  EXPECT_EQ(store_->import_progress("mlw", "accounts").value(), 7);
  EXPECT_EQ(store_->import_progress("other", "samples").value(), 0);
  ASSERT_TRUE(store_->set_import_progress("mlw", "samples", 300).ok());
  EXPECT_EQ(store_->import_progress("mlw", "samples").value(), 500);
  ASSERT_TRUE(store_->set_import_progress("mlw", "samples", 900).ok());
  EXPECT_EQ(store_->import_progress("mlw", "samples").value(), 900);
}

TEST_P(StoreImportsContract, ProgressInARolledBackTransactionIsNotKept) {
  auto failed = store_->write_transaction([&]() -> core::Status {
    EXPECT_TRUE(store_->set_import_progress("mlw", "samples", 42).ok());
    return core::make_error(core::Errc::invalid_argument, "stop");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(store_->import_progress("mlw", "samples").value(), 0);
}

TEST_P(StoreImportsContract, DefaultPricesAreExact) {
  EXPECT_FALSE(store_->default_price("6892850").value().has_value());
  ASSERT_TRUE(store_->set_default_price("6892850", core::Decimal::parse("0.850").value()).ok());
  EXPECT_EQ(store_->default_price("6892850").value()->to_string(), "0.850");
  ASSERT_TRUE(store_->set_default_price("6892850", core::Decimal::parse("1.2").value()).ok());
  EXPECT_EQ(store_->default_price("6892850").value()->to_string(), "1.2");
}

ML_STORE_CONTRACT(StoreImportsContract);

}  // namespace
}  // namespace ml::server::test_store
