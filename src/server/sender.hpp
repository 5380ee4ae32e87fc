// The command sender: every 10 ms it takes the due commands from the queue (where `serve`, the
// command line and the ledger put them, from any process), seals each with a fresh topic time
// (the device accepts ±1800 s around its clock) and publishes it, then records the sends in one
// transaction; a command no reply has confirmed is sent again after 10 s, 20 s, ... (at most
// retry_max) until it is confirmed or expires. The replies of an ingest batch confirm their
// commands in one transaction. A command to a meter whose last will came (offline) is held, not
// sent, until the meter is heard again. It also queues the periodic `version` and `status` poll
// of the meters not offline, spread over the poll interval (the meters whose turn it is by the
// second, in slices of at most twice a tick's share, one transaction per slice), and the
// ledger's open_until after a payment (queue_open_until).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/meter/kind.hpp"
#include "platform/mqtt/client.hpp"
#include "server/config.hpp"
#include "server/ingest.hpp"
#include "server/store.hpp"

namespace ml::server {

// Queues open_until = paid + setup_value for the meter (superseding an unconfirmed older one).
// Returns the queued limit. Used by `pay` and the ledger commands, and by the API.
core::Result<std::string> queue_open_until(ServerStore& store, const std::string& serial,
                                           std::int64_t now);

// The ledger's changes, each one transaction with the open_until it queues (a failure in
// either leaves neither): the entry is checked (check_entry, limit_with) before anything is
// written. They return the new entry's id (0 for a void) and the queued limit. The API and the
// command line both use these.
struct LedgerChange {
  std::int64_t id = 0;
  std::string open_until;
};
core::Result<LedgerChange> add_payment(ServerStore& store, const Payment& payment,
                                       const std::string& actor, std::int64_t now);
core::Result<LedgerChange> correct_payment(ServerStore& store, std::int64_t id,
                                           const Payment& replacement, const std::string& actor,
                                           std::int64_t now);
core::Result<LedgerChange> void_payment(ServerStore& store, std::int64_t id,
                                        const std::string& actor, std::int64_t now);

// What the periodic poll asks a meter of this kind: its version, and the valve's state when the
// kind has a valve (core/meter/kind.hpp).
std::vector<std::string_view> polled_commands(core::meter::Kind kind);

class Sender {
 public:
  using Now = std::function<std::int64_t()>;
  Sender(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config, Now now);
  ~Sender();

  core::Status start();
  void stop();
  // A batch's device replies (from ingest): each confirms the commands it answers.
  void on_replies(const std::vector<DeviceReply>& replies);
  // Meters heard again after their last will (from ingest): what was held for them is due now.
  void on_back(const std::vector<std::string>& serials);

  std::uint64_t sent() const { return sent_; }

 private:
  void tick();
  // What to do with a due command: hold it (its meter is offline), or publish it sealed with
  // `keys` (none: the meter is gone or its key broken, it cannot be sent); `next`: when to look
  // at it again.
  struct Plan {
    bool held = false;
    std::optional<core::envelope::Keys> keys;
    std::int64_t next = 0;
  };
  // Plans, records and publishes a round of due commands; false when one could not be published
  // (it and the rest are put back as they were, due again).
  bool send_round(const std::vector<Command>& due, std::int64_t now);
  // Changes command `id` and writes it, unless it is no longer pending.
  core::Status update_pending(std::int64_t id, const std::function<void(Command&)>& change);
  Plan plan(const Command& c, std::int64_t now);
  // Publishes the planned command (and what is asked after it); false: it could not be.
  bool publish(const Command& c, const Plan& p, std::int64_t now);
  void poll(std::int64_t now);

  // The meters of the poll round under way, polled a slice a tick.
  struct Polled {
    std::string serial;
    core::meter::Kind kind;
  };

  asio::any_io_executor executor_;
  ServerStore& store_;
  const ServerConfig& config_;
  Now now_;
  std::unique_ptr<platform::MqttClient> mqtt_;
  asio::steady_timer timer_;
  std::int64_t next_poll_ = 0;  // when the next round starts
  std::vector<Polled> round_;
  std::size_t round_done_ = 0;
  std::int64_t round_start_ = 0;
  std::int64_t last_second_ = 0;  // expiry and the poll run once a second
  bool running_ = false;
  std::uint64_t sent_ = 0;
};

}  // namespace ml::server
