#include "platform/mqtt/tls_link.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/use_awaitable.hpp>

namespace ml::platform {

core::Result<std::shared_ptr<asio::ssl::context>> tls_context(const MqttTls& tls) {
  auto bad = [](const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, what);
  };
  if (tls.ca_file.empty() && tls.ca_dir.empty())
    return bad("TLS needs a CA file or a CA directory");
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return bad("a TLS client certificate needs its key, and a key its certificate");
  }
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  asio::error_code ec;
  auto failed = [&](const std::string& what, const std::string& file) {
    return bad("cannot use " + what + " " + file + ": " + ec.message());
  };
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) return failed("the TLS CA file", tls.ca_file);
  }
  if (!tls.ca_dir.empty()) {
    ctx->add_verify_path(tls.ca_dir, ec);
    if (ec) return failed("the TLS CA directory", tls.ca_dir);
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) return failed("the TLS client certificate", tls.cert_file);
    ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
    if (ec) return failed("the TLS client key", tls.key_file);
  }
  return ctx;
}

TlsLink::TlsLink(const asio::any_io_executor& executor, asio::ssl::context* tls) : plain(executor) {
  if (tls != nullptr) secure.emplace(executor, *tls);
}

asio::awaitable<std::string> TlsLink::handshake(const std::string& host, bool insecure) {
  if (!secure) co_return "";
  asio::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  if (not_an_address) {  // SNI names hosts only (SSL_set_tlsext_host_name is a macro with a C cast)
    SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }
  wrong_name_ = false;
  if (!insecure) {
    secure->set_verify_callback([this, check = asio::ssl::host_name_verification(host)](
                                    bool preverified, asio::ssl::verify_context& ctx) mutable {
      const bool ok = check(preverified, ctx);
      if (preverified && !ok) wrong_name_ = true;
      return ok;
    });
  }
  auto [ec] = co_await secure->async_handshake(asio::ssl::stream_base::client,
                                               asio::experimental::as_tuple(asio::use_awaitable));
  if (!ec) co_return "";
  if (ec == asio::error::operation_aborted) co_return "no answer in time";
  if (wrong_name_) co_return "the broker's certificate does not name " + host;
  const long verify = SSL_get_verify_result(secure->native_handle());
  if (verify != X509_V_OK) {
    std::string reason = X509_verify_cert_error_string(verify);
    switch (verify) {  // what these mean for the person who set ca_file
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        reason += " (the broker's certificate does not chain to the CA given)";
        break;
      default:
        break;
    }
    co_return reason;
  }
  co_return ec.message();
}

}  // namespace ml::platform
