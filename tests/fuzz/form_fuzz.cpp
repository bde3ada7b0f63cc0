// application/x-www-form-urlencoded bodies and query strings, as the OAuth
// endpoints (authorize, token, revoke, register) and the control API read them.

#include <cstdlib>

#include "fuzz_input.hpp"
#include "mcpcert/encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpcert;
  const auto body = fuzz::as_text(data, size);

  const auto form = parse_form(body);
  if (form.status == FormStatus::ok) {
    // What a client encodes, the endpoint reads back field for field.
    const auto again = parse_form(encode_form(form.fields));
    if (again.status != FormStatus::ok || again.fields != form.fields) std::abort();
  } else if (!form.fields.empty()) {
    std::abort(); // a refused body hands back no fields to act on
  }

  if (auto decoded = url_decode(body)) {
    if (url_decode(url_encode(*decoded)) != decoded) std::abort();
  }
  // The same bytes as the other encodings the endpoints decode.
  if (auto bytes = base64url_decode(body)) {
    if (base64url_encode(*bytes) != body) std::abort(); // one spelling per byte string
  }
  if (auto bytes = base64_decode(body)) {
    if (base64_encode(*bytes) != body) std::abort();
  }
  return 0;
}
