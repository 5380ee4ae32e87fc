// The TLS settings of an MQTT connection (client.hpp uses them; the configuration files read
// them with platform::config::read_tls): a struct of its own so that reading a config does not
// pull in the client.
#pragma once

#include <string>

namespace ml::platform {

// TLS towards the broker. The broker's certificate is checked against ca_file or ca_dir and must
// name `host` (unless insecure).
struct MqttTls {
  std::string ca_file;    // PEM file with the CA certificate(s)
  std::string ca_dir;     // or a directory of CA certificates prepared with c_rehash/openssl rehash
  std::string cert_file;  // client certificate (PEM) for brokers that require one; with key_file
  std::string key_file;   // its unencrypted private key (PEM)
  bool insecure = false;  // skip the host name check (tests only; the chain is still verified)
};

}  // namespace ml::platform
