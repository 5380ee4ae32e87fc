// ServerStore on PostgreSQL (docs/server.md, "PostgreSQL"): one connection per store object,
// numbered migrations applied at open under an advisory lock, samples in a table partitioned by
// month (store.cpp); one source file per focused interface, as server/sqlite/. Several processes
// may share one database: every write that belongs together is one transaction and a duplicate
// delivery is stored once (ON CONFLICT on serial + time).
#pragma once

#include <memory>
#include <set>
#include <string>

#include "platform/postgresql/db.hpp"
#include "server/store.hpp"

namespace ml::server {

class PostgresStore final : public ServerStore {
 public:
  // Connects to `url` (postgresql://...) and brings the schema up to date.
  static core::Result<std::unique_ptr<PostgresStore>> open(const std::string& url);
  // For reading only: never migrates; a database at an older schema version is an error telling
  // to run `meterlogger-server migrate`, a newer one an error as for open. The session is read
  // only (default_transaction_read_only), so writes through it fail.
  static core::Result<std::unique_ptr<PostgresStore>> open_read_only(const std::string& url);
  // The schema version this program brings a database to (the number of its migrations).
  static std::int64_t latest_schema_version();
  // The schema version of the database at `url`, read without changing it.
  static core::Result<std::int64_t> schema_version_of(const std::string& url);
  // True for a [database] url this backend serves (postgresql:// or postgres://).
  static bool serves(std::string_view url);
  // Creates the month partition of samples of every month from `from_time`'s to `to_time`'s
  // (unix seconds), those missing only: `run` a week ahead, `db copy` before it inserts samples in
  // bulk.
  core::Status prepare_for_samples(std::int64_t from_time, std::int64_t to_time) override;

  core::Status read_snapshot(const std::function<core::Status()>& reads) override;
  core::Status write_transaction(const std::function<core::Status()>& writes) override;
  core::Status set_lazy_commits(bool lazy) override;
  core::Result<StoreMetrics> store_metrics(std::int64_t online_since,
                                           std::int64_t replied_since) override;
  core::Status record_broker_health(const BrokerHealth& health) override;
  core::Result<BrokerHealth> broker_health() override;
  core::Result<std::int64_t> import_progress(const std::string& source,
                                             const std::string& table) override;
  core::Status set_import_progress(const std::string& source, const std::string& table,
                                   std::int64_t key) override;
  core::Result<std::optional<core::Decimal>> default_price(const std::string& serial) override;
  core::Status set_default_price(const std::string& serial, const core::Decimal& price) override;
  core::Status add_meter(const Meter& meter) override;
  core::Status add_meters(std::span<const Meter> meters) override;
  core::Status update_meter(const Meter& meter) override;
  core::Status remove_meter(const std::string& serial) override;
  core::Result<std::optional<Meter>> meter(const std::string& serial) override;
  core::Result<std::vector<Meter>> meters() override;
  core::Result<std::vector<MeterKeys>> meter_keys() override;
  core::Result<std::map<std::string, Diagnostic>> diagnostics(const std::string& serial) override;

  core::Result<bool> mark_offline(const std::string& serial, std::int64_t time) override;
  core::Status set_next_key(const std::string& serial, const std::string& next_key_hex,
                            std::int64_t since) override;
  core::Result<bool> promote_next_key(const std::string& serial,
                                      const std::string& next_key_hex) override;
  core::Status mark_online(const std::string& serial) override;
  core::Status sample_seen(const std::string& serial, std::int64_t time) override;
  core::Status mark_all_online(const std::vector<std::string>& serials) override;
  core::Status samples_seen(
      const std::vector<std::pair<std::string, std::int64_t>>& newest) override;

  core::Result<bool> insert_sample(const SampleRecord& record) override;
  core::Result<Rollup> rollup_bucket(const std::string& serial, Period period,
                                     std::int64_t bucket) override;
  core::Status write_rollup(Period period, const Rollup& r) override;
  core::Result<std::vector<bool>> insert_samples(const std::vector<SampleRecord>& records) override;
  core::Result<std::vector<Rollup>> rollup_buckets(
      Period period, const std::vector<std::pair<std::string, std::int64_t>>& buckets) override;
  core::Status write_rollups(Period period, const std::vector<Rollup>& rollups) override;
  core::Result<std::optional<Diagnostic>> diagnostic(const std::string& serial,
                                                     const std::string& function) override;
  core::Result<bool> write_diagnostic_if_newer(const std::string& serial,
                                               const std::string& function, const Diagnostic& value,
                                               std::int64_t received) override;
  core::Status add_event(const std::string& serial, const Event& event) override;
  core::Status count_rejection(const std::string& reason) override;
  core::Status count_serial_rejection(const std::string& serial, const std::string& reason,
                                      std::int64_t time) override;
  core::Result<std::int64_t> quarantine(const Rejection& rejection) override;
  core::Status trim_quarantine(std::int64_t kept) override;
  core::Status trim_serial_rejections(std::int64_t kept) override;
  core::Result<std::map<std::string, std::int64_t>> rejection_counts() override;
  core::Result<std::vector<SerialRejection>> rejections_for(const std::string& serial) override;
  core::Result<std::vector<SerialRejection>> unknown_serials(int limit) override;
  core::Result<std::vector<SerialRejection>> recent_rejections(std::int64_t since,
                                                               int limit) override;

  core::Result<std::vector<Rollup>> rollups(const std::string& serial, Period period,
                                            std::int64_t from, std::int64_t to) override;
  core::Result<std::vector<Event>> events(const std::string& serial) override;
  core::Result<std::vector<MeterDiagnostic>> every_diagnostic() override;
  core::Result<std::vector<Rollup>> every_rollup(Period period, std::int64_t from,
                                                 std::int64_t to) override;
  core::Result<std::vector<MeterSampleRow>> every_rate_window(std::int64_t since,
                                                              std::int64_t span) override;
  core::Result<std::vector<SampleRow>> unpacked_samples(const std::string& serial,
                                                        const SampleRange& range,
                                                        bool times_only) override;
  core::Result<std::vector<PackedDay>> packed_days(const std::string& serial,
                                                   const SampleRange& range) override;
  core::Result<std::vector<SampleRecord>> unpacked_day(const std::string& serial,
                                                       std::int64_t day) override;
  core::Result<std::vector<std::pair<std::string, std::int64_t>>> oldest_unpacked(
      std::int64_t before) override;
  core::Status write_packed_day(const PackedDay& day,
                                const std::vector<std::int64_t>& times) override;
  core::Result<std::vector<PackedDay>> packed_days_of(
      const std::vector<std::pair<std::string, std::int64_t>>& keys) override;
  core::Status lock_meters(const std::vector<std::string>& serials) override;

  core::Result<std::int64_t> insert_command(const Command& command) override;
  core::Status update_command(const Command& command) override;
  core::Result<std::optional<Command>> command(std::int64_t id) override;
  core::Result<std::vector<Command>> commands(const std::string& serial) override;
  core::Result<std::vector<Command>> pending_commands(const std::string& serial) override;
  core::Result<std::vector<Command>> commands_due(std::int64_t now, int limit) override;
  core::Result<std::vector<Command>> commands_expiring(std::int64_t now) override;
  core::Result<std::vector<Command>> unanswered_commands(std::int64_t sent_before,
                                                         int limit) override;

  core::Result<std::int64_t> insert_payment(const Payment& payment) override;
  core::Status set_payment_state(std::int64_t id, PaymentState state) override;
  core::Status append_ledger_audit(const AuditEntry& entry) override;
  core::Result<std::vector<Payment>> payments(const std::string& serial) override;
  core::Result<std::vector<Payment>> every_payment() override;
  core::Result<std::optional<Payment>> payment(std::int64_t id) override;
  core::Result<std::vector<AuditEntry>> audit_log(const std::string& serial) override;

  core::Status add_user(const User& user) override;
  core::Status update_password_hash(const std::string& name, const std::string& hash) override;
  core::Status delete_user(const std::string& name) override;
  core::Status update_user_access(const std::string& name, Role role,
                                  const std::vector<std::string>& groups) override;
  core::Status unlock_user(const std::string& name, std::int64_t now) override;
  core::Result<std::optional<User>> user(const std::string& name) override;
  core::Result<std::vector<User>> users() override;
  core::Status insert_session(const std::string& id_hash, const Session& session) override;
  core::Result<std::optional<Session>> session(const std::string& id_hash) override;
  core::Status remove_session(const std::string& id_hash) override;
  core::Status remove_sessions_of(const std::string& user) override;
  core::Status remove_expired_sessions(std::int64_t now) override;
  core::Result<std::optional<SecondFactor>> second_factor(const std::string& user) override;
  core::Status put_second_factor(const std::string& user, const SecondFactor& factor,
                                 const std::vector<std::string>& recovery_hashes) override;
  core::Result<bool> use_second_factor_step(const std::string& user, std::int64_t step) override;
  core::Result<bool> use_recovery_code(const std::string& user, const std::string& hash) override;
  core::Result<std::int64_t> recovery_codes_left(const std::string& user) override;
  core::Status delete_second_factor(const std::string& user) override;
  core::Result<std::int64_t> add_resident(const Resident& resident) override;
  core::Status update_resident(const Resident& r) override;
  core::Status set_resident_meters(std::int64_t id,
                                   const std::vector<std::string>& serials) override;
  core::Status delete_resident(std::int64_t id) override;
  core::Result<std::optional<Resident>> resident(std::int64_t id) override;
  core::Result<std::optional<Resident>> resident_by_address(const std::string& address) override;
  core::Result<std::vector<Resident>> residents_of(const std::string& serial) override;
  core::Result<std::vector<std::pair<std::string, Resident>>> residents_by_meter() override;
  core::Result<std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState>>
  resident_prepaid_states() override;
  core::Status write_resident_prepaid_state(std::int64_t id, const std::string& serial,
                                            const PrepaidNoticeState& state) override;
  core::Result<std::int64_t> insert_resident_code(const ResidentCode& code) override;
  core::Result<std::vector<ResidentCode>> resident_codes(std::int64_t id,
                                                         std::int64_t since) override;
  core::Result<std::int64_t> resident_codes_from(const std::string& address,
                                                 std::int64_t since) override;
  core::Result<bool> take_resident_code(std::int64_t id, std::int64_t now, int max_tries) override;
  core::Status count_resident_code_try(std::int64_t id) override;
  core::Status remove_resident_codes_before(std::int64_t before) override;
  core::Status insert_resident_session(const std::string& id_hash,
                                       const ResidentSession& session) override;
  core::Result<std::optional<ResidentSession>> resident_session(
      const std::string& id_hash) override;
  core::Status remove_resident_session(const std::string& id_hash) override;
  core::Status remove_resident_sessions_of(std::int64_t id) override;
  core::Status remove_expired_resident_sessions(std::int64_t now) override;
  core::Status put_degree_days(const std::vector<DegreeDay>& days) override;
  core::Result<std::vector<DegreeDay>> degree_days(std::int64_t from, std::int64_t to) override;
  core::Status audit_admin(const AdminAuditEntry& entry) override;
  core::Result<std::vector<AdminAuditEntry>> admin_audit_scoped(const AuditScope& scope,
                                                                int limit) override;
  core::Result<std::vector<AdminAuditEntry>> admin_audit(const std::string& serial,
                                                         int limit) override;

  core::Result<std::int64_t> insert_alarm_rule(const AlarmRule& rule) override;
  core::Status update_alarm_rule(const AlarmRule& rule) override;
  core::Status remove_alarm_rule(std::int64_t id) override;
  core::Result<std::optional<AlarmRule>> alarm_rule(std::int64_t id) override;
  core::Result<std::vector<AlarmRule>> alarm_rules() override;
  core::Status set_group_zone(const std::string& group, const std::string& zone) override;
  core::Result<std::map<std::string, std::string>> group_zones() override;
  core::Status write_alarm_state(const core::alarm::State& state) override;
  core::Status remove_alarm_state(std::int64_t rule_id, const std::string& serial) override;
  core::Result<std::vector<core::alarm::State>> alarm_states() override;
  core::Result<std::vector<core::alarm::State>> open_alarms() override;
  core::Result<std::optional<core::alarm::State>> alarm_episode(std::int64_t episode) override;
  core::Result<std::int64_t> new_alarm_episode(std::int64_t rule_id, const std::string& serial,
                                               std::int64_t time) override;
  core::Status append_alarm_transition(const core::alarm::Transition& t) override;
  core::Result<std::vector<core::alarm::Transition>> alarm_transitions_of_meter(
      const std::string& serial, int limit) override;
  core::Result<std::vector<core::alarm::Transition>> alarm_transitions_of_episode(
      std::int64_t episode) override;
  core::Result<std::vector<core::alarm::Transition>> recent_alarm_transitions(int limit) override;
  core::Result<std::map<std::string, ValveInfo>> valve_states() override;
  core::Result<Inserted> insert_notification(const StoredNotification& n) override;
  core::Status update_notification(const StoredNotification& n) override;
  core::Result<std::optional<StoredNotification>> notification(std::int64_t id) override;
  core::Result<std::optional<StoredNotification>> notification_by_key(
      const std::string& dedupe_key) override;
  core::Result<std::vector<StoredNotification>> notifications_due(std::int64_t now,
                                                                  int limit) override;
  core::Result<std::vector<StoredNotification>> notifications_in_state(
      NotificationState state) override;
  core::Result<std::vector<std::int64_t>> sent_times(const std::string& recipient,
                                                     std::int64_t since) override;
  core::Result<std::vector<StoredNotification>> notification_log(
      const NotificationFilter& filter) override;
  core::Result<ChannelActivity> channel_activity(const std::string& channel) override;
  core::Status set_meter_contact(const std::string& serial, const MeterContact& c) override;
  core::Status set_user_contact(const std::string& name, const UserContact& c) override;
  core::Result<std::map<std::string, PrepaidNoticeState>> prepaid_notice_states() override;
  core::Status write_prepaid_notice_state(const std::string& serial,
                                          const PrepaidNoticeState& state) override;

  core::Result<bool> take_lease(const std::string& name, const std::string& holder,
                                std::int64_t now, std::int64_t ttl_s) override;
  core::Status release_lease(const std::string& name, const std::string& holder) override;
  core::Result<Lease> lease(const std::string& name) override;

  platform::postgresql::Connection& connection() { return db_; }

 private:
  explicit PostgresStore(platform::postgresql::Connection db);
  // Creates the month partition of samples that `time` falls in, once per process and month.
  core::Status ensure_sample_partition(std::int64_t time);
  // residents.cpp: a resident's address taken by another; meters that do not exist; a
  // resident's meters; the residents
  // found by a condition on $1.
  core::Status check_resident(const Resident& r);
  core::Status check_resident_meters(const std::vector<std::string>& serials);
  core::Result<std::vector<std::string>> resident_serials(std::int64_t id);
  core::Result<std::vector<Resident>> read_residents(const std::string& where,
                                                     const platform::postgresql::Param& value);
  platform::postgresql::Connection db_;
  std::set<std::int64_t> partitions_;  // months (unix time of their first second) known to exist
  bool in_snapshot_ = false;           // read_snapshot() nested in another runs on the outer one
  // This connection's counters row of stored samples (store/metrics.hpp): "samples_stored:<k>",
  // k from the process id and the connections opened before in the process.
  std::string samples_counter_;
};

}  // namespace ml::server
