// Changing a meter's key without a site visit (docs/security.md, "Changing a key"): the server
// makes a new key, keeps it beside the meter's key as the next key, and queues the set_key
// extension command (core/keychange), sealed like every command with the key the device has. It
// goes on sealing and opening with the old key, and ingest also tries the next one; the first
// message that opens only with the next key (the device's reply "ok", or any message it sealed
// after the change) makes the next key the meter's key and retires the old one. Every step is one
// durable write, so a crash or a lost message at any point leaves a device and a server that still
// understand each other: the command is sent again until a reply confirms it, the device answers
// a set_key it already carried out with "ok", and accepts the old key for a grace period.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

struct KeyChangeStarted {
  bool resumed = false;      // a change was under way: its key is sent again, not a new one
  std::int64_t command = 0;  // the set_key command waiting for the device (queued or sent)
  std::int64_t since = 0;
};

// Starts (or resumes) the change of `serial`'s key, audited as `actor` from `remote`. Errors
// (invalid_argument): no such meter, or a device that has not reported this project's agent as
// its version (obeys_extensions): the original firmware would ignore set_key forever.
core::Result<KeyChangeStarted> start_key_change(ServerStore& store, const std::string& serial,
                                                const std::string& actor, const std::string& remote,
                                                std::int64_t now);

// Ingest opened a message of `serial` with the next key `next_key_hex`: it becomes the meter's
// key, audited (actor "server"). False when it was promoted already.
core::Result<bool> finish_key_change(ServerStore& store, const std::string& serial,
                                     const std::string& next_key_hex, std::int64_t now);

}  // namespace ml::server
