// Gaps in the samples the server holds, and filling them (docs/server.md, "Gaps"): each meter's
// sampling interval is read from its own sample times (core/gaps), the gaps among the samples of
// the last [gaps] `window_s` are found once they are older than `delay_s`, and a meter whose device
// keeps its samples (this project's agent: its `version` starts with "linux-") is asked to
// publish each gap again with the `resend` extension command, one gap at a time, each at most
// `max_tries` times, `retry_after_s` apart, through the command queue (so every request is
// sealed, replay-protected, shown and expired like any command). A gap that stays is shown as a
// gap: nothing is interpolated. The original firmware ignores `resend`, so its meters are not
// asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/gaps/gaps.hpp"
#include "core/result.hpp"
#include "server/config.hpp"
#include "server/store.hpp"

namespace ml::server {

// Where a gap stands.
enum class GapState : std::uint8_t {
  open,        // not asked for: the device does not take `resend`, or not yet
  requested,   // a resend of it is queued or sent
  not_kept,    // the device answered and the gap stayed: it no longer had those samples
  unanswered,  // asked max_tries times without an answer
};
std::string_view gap_state_name(GapState state);

struct MeterGap {
  core::gaps::Gap gap;
  GapState state = GapState::open;
  std::int64_t command_id = 0;  // the newest resend of exactly this range, 0: none
  std::int64_t tries = 0;       // resends of exactly this range
  std::int64_t last_asked = 0;  // when the newest was queued (server clock), 0: never
};

struct MeterGaps {
  std::optional<std::int64_t> interval;  // seconds; nullopt with fewer than 3 samples
  bool takes_resend = false;             // the device keeps its samples (this project's agent)
  std::vector<MeterGap> gaps;            // oldest first
};

// What a gap round remembers of each meter, so that the next round reads only the samples since
// then, not the whole window again (a week of one-minute samples is 10 080 times a meter, every
// round: minutes at 20 000 meters). Per meter: the interval, the settled gaps found so far (each
// read again by its missing range alone, to see what late samples filled), and where the next
// read starts: the newest sample at or before the last round's settled time. A sample arriving
// late before that point can only fill a gap, never make one, so the gaps found are those of a
// whole read as long as the interval holds. A meter new to the memory (every meter at the start
// of `run`) is read for its last hour only, and its whole window at a time of the next day its
// serial spreads it to; then once a day, which also takes up a changed interval. So an older gap
// is found within a day of a restart, not at once. Meters no longer in the store are forgotten at
// the next round.
struct GapMemory {
  static constexpr std::int64_t kFirstReadS = 3600;       // a new meter's first read
  static constexpr std::int64_t kWholeReadEvery = 86400;  // seconds
  struct Meter {
    std::int64_t interval = 0;
    std::int64_t resume_from = 0;       // the next read starts here (included)
    std::int64_t whole_read_due = 0;    // the whole window is read again from then
    std::vector<core::gaps::Gap> gaps;  // settled, each before resume_from; oldest first
    bool seen = false;                  // in this round (the others are forgotten after it)
  };
  std::unordered_map<std::string, Meter> meters;
};

// The gaps of one meter in [now - window_s, now - delay_s], with what was done about each. With
// `memory`, read as GapMemory says and the memory brought up to `now`.
core::Result<MeterGaps> meter_gaps(ServerStore& store, const std::string& serial, std::int64_t now,
                                   const GapsConfig& options, GapMemory* memory = nullptr);

struct GapRound {
  std::int64_t meters = 0;     // meters looked at
  std::int64_t gaps = 0;       // gaps found
  std::int64_t requested = 0;  // resend commands queued this round
};

// Every meter: queues a resend for its oldest gap that may be asked for, unless one is pending,
// up to `max_requests` a round. `run` keeps a GapMemory from round to round.
core::Result<GapRound> run_gap_round(ServerStore& store, std::int64_t now,
                                     const GapsConfig& options, GapMemory* memory = nullptr);

}  // namespace ml::server
