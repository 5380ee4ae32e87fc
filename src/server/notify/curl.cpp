// libcurl for the notification channels (curl.hpp).
#include "server/notify/curl.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace ml::server::notify {

namespace {

std::atomic<const std::atomic<bool>*> g_abort{nullptr};

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Easy {
  CURL* h = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* recipients = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  Easy() : h(curl_easy_init()) {}
  ~Easy() {
    curl_slist_free_all(headers);
    curl_slist_free_all(recipients);
    if (h != nullptr) curl_easy_cleanup(h);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

int progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = g_abort.load();
  return flag != nullptr && flag->load() ? 1 : 0;
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  if (out->size() < 4096) out->append(data, std::min(bytes, 4096 - out->size()));
  return bytes;
}

struct Upload {
  const std::string* text;
  std::size_t at = 0;
};
std::size_t feed(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t bytes = std::min(size * n, u->text->size() - u->at);
  std::memcpy(buffer, u->text->data() + u->at, bytes);
  u->at += bytes;
  return bytes;
}

void common_options(Easy& e, const std::string& ca_file) {
  curl_easy_setopt(e.h, CURLOPT_ERRORBUFFER, e.error);
  curl_easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
  curl_easy_setopt(e.h, CURLOPT_TIMEOUT, kTotalTimeoutS);
  curl_easy_setopt(e.h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e.h, CURLOPT_XFERINFOFUNCTION, progress);
  curl_easy_setopt(e.h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e.h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(e.h, CURLOPT_CAINFO, ca_file.c_str());
}

core::Error failure(const Easy& e, CURLcode code) {
  std::string text = e.error[0] != '\0' ? e.error : curl_easy_strerror(code);
  if (code == CURLE_ABORTED_BY_CALLBACK) text = "stopped (the server is stopping)";
  if (code == CURLE_PEER_FAILED_VERIFICATION) {
    text += " (the server's certificate is not trusted: is its CA in the channel's ca_file?)";
  }
  return core::make_error(core::Errc::notify_failure, text);
}

}  // namespace

void set_abort_flag(const std::atomic<bool>* flag) {
  g_abort.store(flag);
}

core::Result<HttpResponse> http_request(const HttpRequest& r) {
  global_init();
  Easy e;
  if (e.h == nullptr) return core::make_error(core::Errc::notify_failure, "curl_easy_init failed");
  common_options(e, r.ca_file);
  curl_easy_setopt(e.h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);
  if (r.method == "GET") {
    curl_easy_setopt(e.h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, r.body.c_str());
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  for (const auto& h : r.headers)
    e.headers = curl_slist_append(e.headers, h.c_str());
  e.headers = curl_slist_append(e.headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
  HttpResponse out;
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &out.body);
  const CURLcode code = curl_easy_perform(e.h);
  if (code != CURLE_OK) return failure(e, code);
  curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

core::Status smtp_send(const SmtpRequest& r) {
  global_init();
  Easy e;
  if (e.h == nullptr) return core::make_error(core::Errc::notify_failure, "curl_easy_init failed");
  common_options(e, r.ca_file);
  curl_easy_setopt(e.h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e.h, CURLOPT_USE_SSL, r.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  if (!r.username.empty()) {
    curl_easy_setopt(e.h, CURLOPT_USERNAME, r.username.c_str());
    curl_easy_setopt(e.h, CURLOPT_PASSWORD, r.password.c_str());
  }
  const std::string from = "<" + r.from + ">";
  curl_easy_setopt(e.h, CURLOPT_MAIL_FROM, from.c_str());
  const std::string to = "<" + r.to + ">";
  e.recipients = curl_slist_append(e.recipients, to.c_str());
  curl_easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.recipients);
  Upload upload{&r.message};
  curl_easy_setopt(e.h, CURLOPT_READFUNCTION, feed);
  curl_easy_setopt(e.h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(e.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e.h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.message.size()));
  const CURLcode code = curl_easy_perform(e.h);
  if (code != CURLE_OK) return failure(e, code);
  return core::Ok{};
}

}  // namespace ml::server::notify
