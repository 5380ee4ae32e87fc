// The agent's GET /metrics inside the setup page module (metrics_server.cpp): how a request is
// answered, apart from the server so unit tests call it directly.
#pragma once

#include <string>
#include <string_view>

#include "platform/http/server.hpp"
#include "setup_page/api.hpp"

namespace ml::setup_page {

// The answer to one request: 404 for another path, 405 for another method, 401 when `token` is
// set and the request does not carry it, 503 when the source fails, else 200 with the text.
platform::http::Response metrics_answer(const std::string& token,
                                        const platform::http::Request& req, MetricsSource& source);

}  // namespace ml::setup_page
