// A client's connection to its broker: TCP, with TLS on top when MqttTls asks for it. The
// DurableSubscriber reads and writes through it, and `meterlogger-server check` uses it to say
// exactly why a broker's certificate is refused.
//
// TLS: 1.2 or later; the broker's certificate must chain to ca_file/ca_dir and name the host
// (a DNS name or an address in its subjectAltName) unless `insecure`; the host goes out as SNI; a
// client certificate is sent when cert_file and key_file are given.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "platform/mqtt/tls.hpp"

namespace ml::platform {

// The TLS context for `tls`, or why its files cannot be used ("cannot use the TLS CA file
// /etc/x.crt: No such file or directory").
core::Result<std::shared_ptr<asio::ssl::context>> tls_context(const MqttTls& tls);

class TlsLink {
 public:
  // Plain TCP when `tls` is null.
  TlsLink(const asio::any_io_executor& executor, asio::ssl::context* tls);
  TlsLink(const TlsLink&) = delete;  // handshake() keeps `this` in the verify callback
  TlsLink& operator=(const TlsLink&) = delete;

  asio::ip::tcp::socket& tcp() { return secure ? secure->next_layer() : plain; }

  // After tcp() has connected: the TLS handshake. "" when it succeeded, else the reason in
  // OpenSSL's words ("certificate has expired"), with what they mean for the CA given
  // ("self-signed certificate in certificate chain (the broker's certificate does not chain to
  // the CA given)"), or ours ("the broker's certificate does not name broker.example").
  asio::awaitable<std::string> handshake(const std::string& host, bool insecure);

  template <class Token>
  auto read_some(asio::mutable_buffer buffer, Token&& token) {
    return secure ? secure->async_read_some(buffer, std::forward<Token>(token))
                  : plain.async_read_some(buffer, std::forward<Token>(token));
  }
  // Whether more of what the broker sent has arrived and waits to be read (in the socket, or
  // decrypted already by TLS).
  bool more_waiting() {
    if (secure && SSL_pending(secure->native_handle()) > 0) return true;
    asio::error_code ec;
    return tcp().available(ec) > 0 && !ec;
  }
  template <class Token>
  auto write(asio::const_buffer buffer, Token&& token) {
    return secure ? asio::async_write(*secure, buffer, std::forward<Token>(token))
                  : asio::async_write(plain, buffer, std::forward<Token>(token));
  }
  // A blocking write, for a last word before closing.
  void write_now(asio::const_buffer buffer, asio::error_code& ec) {
    if (secure) {
      asio::write(*secure, buffer, ec);
    } else {
      asio::write(plain, buffer, ec);
    }
  }

  asio::ip::tcp::socket plain;  // unused under TLS
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> secure;

 private:
  bool wrong_name_ = false;  // the certificate's names did not match the host
};

}  // namespace ml::platform
