// The server's storage: focused interfaces (store/meters.hpp, store/samples.hpp,
// store/commands.hpp, store/ledger.hpp, store/users.hpp, store/audit.hpp, store/alarms.hpp,
// store/notifications.hpp, store/metrics.hpp, store/imports.hpp, store/leases.hpp) and the
// transactions that span
// them. SQLite (server/sqlite/) is the embedded backend; every backend passes the store contract
// tests (tests/unit/store_contract_*_test.cpp). Every write that belongs together is one
// transaction; a duplicate delivery is stored once.
#pragma once

#include <functional>

#include "core/result.hpp"
#include "server/store/alarms.hpp"
#include "server/store/audit.hpp"
#include "server/store/commands.hpp"
#include "server/store/imports.hpp"
#include "server/store/leases.hpp"
#include "server/store/ledger.hpp"
#include "server/store/meters.hpp"
#include "server/store/metrics.hpp"
#include "server/store/notifications.hpp"
#include "server/store/residents.hpp"
#include "server/store/samples.hpp"
#include "server/store/users.hpp"
#include "server/store/weather.hpp"

namespace ml::server {

class ServerStore : public MeterStore,
                    public SampleStore,
                    public CommandStore,
                    public LedgerStore,
                    public UserStore,
                    public AuditStore,
                    public AlarmStore,
                    public NotificationStore,
                    public MetricsStore,
                    public ImportStore,
                    public LeaseStore,
                    public ResidentStore,
                    public WeatherStore {
 public:
  ~ServerStore() override = default;

  // Runs `reads` on one consistent snapshot of the data (one read transaction where the backend
  // has them: also much faster than a transaction per query). Inside another read_snapshot it
  // runs on that one.
  virtual core::Status read_snapshot(const std::function<core::Status()>& reads) = 0;
  // Runs `writes` as one transaction: every change it makes is kept when it returns Ok, none
  // when it returns an error or throws (a payment and the limit it queues are one change).
  virtual core::Status write_transaction(const std::function<core::Status()>& writes) = 0;
  // For a bulk load whose input stays where it is until the load ends (`ingest --from` a file):
  // while lazy, a commit may return before it is on disk (SQLite synchronous=NORMAL in WAL mode,
  // PostgreSQL synchronous_commit off), so a crash or a power cut may lose the latest commits,
  // never corrupt the database (the load is run again: storing is idempotent). Turning it off
  // makes every commit so far durable before it returns (a durable commit flushes the log up to
  // it). A store is not lazy unless told.
  virtual core::Status set_lazy_commits(bool lazy) = 0;
};

}  // namespace ml::server
