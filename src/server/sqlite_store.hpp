// ServerStore on SQLite: one file, WAL, synchronous=FULL, numbered migrations applied at open.
#pragma once

#include <memory>

#include "platform/sqlite/db.hpp"
#include "server/store.hpp"

namespace ml::server {

class SqliteStore final : public ServerStore {
 public:
  // Creates the file (and its folder) when missing and brings the schema up to date.
  static core::Result<std::unique_ptr<SqliteStore>> open(const std::string& path);

  core::Status add_meter(const Meter& meter) override;
  core::Status update_meter(const Meter& meter) override;
  core::Status remove_meter(const std::string& serial) override;
  core::Result<std::optional<Meter>> meter(const std::string& serial) override;
  core::Result<std::vector<Meter>> meters() override;
  core::Result<std::map<std::string, std::pair<std::string, std::int64_t>>> diagnostics(
      const std::string& serial) override;

  core::Result<std::vector<IngestOutcome>> ingest(const std::vector<IngestItem>& items,
                                                  std::int64_t now) override;
  core::Status reject(const Rejection& rejection) override;
  core::Result<std::map<std::string, std::int64_t>> rejection_counts() override;

  core::Result<std::vector<StoredSample>> samples(const std::string& serial, std::int64_t from,
                                                  std::int64_t to) override;
  core::Result<std::vector<Rollup>> rollups(const std::string& serial, Period period,
                                            std::int64_t from, std::int64_t to) override;
  core::Result<std::vector<Event>> events(const std::string& serial) override;

  platform::sqlite::Db& db() { return db_; }

 private:
  explicit SqliteStore(platform::sqlite::Db db) : db_(std::move(db)) {}
  core::Result<IngestOutcome> ingest_one(const IngestItem& item, std::int64_t now);
  core::Status add_to_rollup(Period period, const std::string& serial, std::int64_t time,
                             const StoredSample& sample);
  platform::sqlite::Db db_;
};

}  // namespace ml::server
