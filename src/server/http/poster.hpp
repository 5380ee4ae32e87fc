// Posters for the residents (docs/residents.md, "Posters"): one printable A4 page per meter, to
// hang by the meter or in the stairwell, with the meter's name and serial, a QR code to the
// residents' page ([residents] url) with the words to log in, and how to pay ([residents]
// payment) as text and a QR code. One HTML document for one meter or many (a page break between
// them): the browser prints it, or saves it as PDF.
//
// - Danish or English (kPosterTexts); every text from the meter or the configuration is
//   HTML-escaped; the QR codes are inline SVG (platform/qr), so the page needs nothing else
//   (no script, no image file, no font) and the dashboard's Content-Security-Policy allows it.
// - Refused (Errc::invalid_argument, saying what to do): no [residents] url (the poster's point),
//   no meter, an unknown language.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/store.hpp"

namespace ml::server::http {

struct PosterTexts {
  std::string_view language;
  std::string_view title;    // the document's title
  std::string_view heading;  // the big line at the top
  std::string_view meter;    // "Meter {serial}"
  std::string_view scan;     // how to log in, {url} the page's address
  std::string_view pay;      // the heading of how to pay
  std::string_view no_pay;   // when [residents] payment is not set
};
inline constexpr std::array<PosterTexts, 2> kPosterTexts{{
    {"da", "Plakater", "Se din varme og din saldo", "Måler {serial}",
     "Scan koden med telefonens kamera, eller gå til {url}. Log ind med din e-mailadresse eller "
     "dit telefonnummer: du får en kode tilsendt.",
     "Sådan betaler du", "Spørg dit fjernvarmeselskab, hvordan du betaler."},
    {"en", "Posters", "See your heat and your credit", "Meter {serial}",
     "Scan the code with your phone's camera, or go to {url}. Log in with your e-mail address or "
     "phone number: a code is sent to you.",
     "How to pay", "Ask your cooperative how to pay."},
}};

// The posters of `meters` (in that order) as one HTML document.
core::Result<std::string> posters_html(const std::vector<Meter>& meters,
                                       const ResidentsConfig& residents, std::string_view language);

}  // namespace ml::server::http
