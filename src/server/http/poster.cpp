// The residents' posters (poster.hpp).
#include "server/http/poster.hpp"

#include "core/ascii.hpp"
#include "platform/qr/qr.hpp"
#include "server/usecases/residents.hpp"

namespace ml::server::http {
namespace {

std::string with(std::string_view text, std::string_view key, const std::string& value) {
  std::string out(text);
  const auto at = out.find(key);
  if (at != std::string::npos) out.replace(at, key.size(), value);
  return out;
}

// A4 with print margins; one poster per page; large type for a stairwell.
constexpr std::string_view kStyle =
    "@page{size:A4;margin:18mm}"
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "color:#111}"
    ".poster{min-height:255mm;box-sizing:border-box;padding:8mm 0;display:flex;"
    "flex-direction:column;align-items:center;text-align:center;break-after:page}"
    ".poster:last-child{break-after:auto}"
    "h1{font-size:26pt;margin:0 0 4mm}.meter{font-size:16pt;margin:0 0 8mm}"
    ".qr svg{width:80mm;height:80mm}.qr.small svg{width:45mm;height:45mm}"
    ".scan{font-size:14pt;max-width:150mm;margin:6mm 0 10mm}"
    "h2{font-size:18pt;margin:4mm 0 2mm}.pay{font-size:14pt;margin:0 0 4mm}"
    "@media screen{body{background:#eee}.poster{background:#fff;width:210mm;margin:10mm auto;"
    "padding:18mm}}";

}  // namespace

core::Result<std::string> posters_html(const std::vector<Meter>& meters,
                                       const ResidentsConfig& residents,
                                       std::string_view language) {
  const PosterTexts* texts = nullptr;
  for (const auto& t : kPosterTexts) {
    if (t.language == language) texts = &t;
  }
  if (texts == nullptr) {
    return core::make_error(core::Errc::invalid_argument,
                            "language must be da or en, not \"" + std::string(language) + "\"");
  }
  if (residents.url.empty()) {
    return core::make_error(core::Errc::invalid_argument,
                            "set [residents] url in server.toml (the residents' page as "
                            "residents reach it, e.g. https://heat.example.org/resident.html): "
                            "the poster's QR code leads there");
  }
  if (meters.empty()) return core::make_error(core::Errc::invalid_argument, "no meters to print");
  auto login_qr = platform::qr::svg(residents.url, {8, 2});
  if (!login_qr) return login_qr.error();
  std::string out = "<!doctype html>\n<html lang=\"" + std::string(texts->language) +
                    "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    core::html_escape(texts->title) + "</title>\n<style>" + std::string(kStyle) +
                    "</style>\n</head>\n<body>\n";
  for (const auto& m : meters) {
    out += "<section class=\"poster\">\n<h1>" + core::html_escape(texts->heading) + "</h1>\n";
    out += "<p class=\"meter\">" +
           (m.name.empty() ? std::string() : core::html_escape(m.name) + " &middot; ") +
           core::html_escape(with(texts->meter, "{serial}", m.serial)) + "</p>\n";
    out += "<div class=\"qr\">" + *login_qr + "</div>\n";
    out += "<p class=\"scan\">" + core::html_escape(with(texts->scan, "{url}", residents.url)) +
           "</p>\n";
    out += "<h2>" + core::html_escape(texts->pay) + "</h2>\n";
    if (residents.payment.empty()) {
      out += "<p class=\"pay\">" + core::html_escape(texts->no_pay) + "</p>\n";
    } else {
      const std::string pay = usecase::payment_instructions(residents.payment, m);
      out += "<p class=\"pay\">" + core::html_escape(pay) + "</p>\n";
      auto pay_qr = platform::qr::svg(pay, {8, 2});
      if (!pay_qr) return pay_qr.error();
      out += "<div class=\"qr small\">" + *pay_qr + "</div>\n";
    }
    out += "</section>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace ml::server::http
