// Reads a Kamstrup MULTICAL 66C or 66B over EN 61107 (docs/reading-meters.md): optional wake-up,
// ident, data readout, /#C (66C), /#1, /#2, each with the line settings and switch delays of the
// steps table (core/iec62056/steps.hpp). Decimals of /#1 and /#C are placed from the program number
// the meter reports in /#2.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>

#include "core/iec62056/bcc.hpp"
#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/iec62056/steps.hpp"
#include "meter/session.hpp"

namespace ml::meter {

struct Mc66Options {
  bool is_66b = false;
  bool wake_up = true;                                   // send NUL bytes before the ident
  core::iec::WakeUp wakeup = core::iec::kDefaultWakeUp;  // 16 NUL bytes at 300 7E2
  milliseconds wakeup_pause{100};                        // after the NUL bytes
  milliseconds timeout{0};                               // 0: each step's own (3 s, 8 s, ...)
  int retries = 2;
  // Battery meters may ignore a request; Kamstrup recommends repeating no sooner than 5 s.
  milliseconds retry_delay{5000};
  core::iec::BccMethod bcc = core::iec::BccMethod::kamstrup_sum;
};

struct Mc66Reading {
  core::iec::Readout readout;
  core::iec::HeatValues heat;                       // serial, e1, v1, hr from the readout
  std::optional<core::iec::Mc66Reply> inst_values;  // /#C, 66C only
  core::iec::Mc66Reply standard_data_1;             // /#1, decimals placed
  core::iec::Mc66Reply standard_data_2;             // /#2 (program number)
};

asio::awaitable<core::Result<Mc66Reading>> read_mc66(Session& session, const Mc66Options& options);

}  // namespace ml::meter
