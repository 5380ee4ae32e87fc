// meterlogger: the device side of MeterLogger. Protocol tools now; the agent, reader and
// emulators join as further subcommands.
#include <iostream>

#include "common.hpp"

#ifndef ML_VERSION
#define ML_VERSION "dev"
#endif

int main(int argc, char** argv) {
  CLI::App app{
      "MeterLogger device tools: decode and build Kamstrup KMP and EN 61107 messages, and seal or\n"
      "open MeterLogger v2 MQTT payloads, and emulate meters.\n\n"
      "Examples:\n"
      "  meterlogger kmp request registers 60 68 1004\n"
      "  meterlogger kmp decode 403F0200692D32CD5D0D\n"
      "  meterlogger iec decode readout.bin\n"
      "  meterlogger crypto derive ef500c9268cf749016d26d6cbfaaf7bf\n"
      "  meterlogger sim kmp --model mc601 --link /tmp/kmp0 --control /tmp/kmp0.ctl\n",
      "meterlogger"};
  app.set_version_flag("--version", std::string("meterlogger ") + ML_VERSION);
  app.require_subcommand(1);
  ml::app::add_kmp_commands(app);
  ml::app::add_iec_commands(app);
  ml::app::add_crypto_commands(app);
  ml::app::add_read_commands(app);
  ml::app::add_agent_commands(app, argc, argv);
  ml::app::add_sim_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ml::app::ToolFailure& e) {
    std::cerr << "meterlogger: " << e.what() << '\n';
    return e.status();
  }
  return 0;
}
