// URLs and redirect URIs: absolute URLs as the HTTP client parses them (from
// metadata documents and scenario files), redirect URIs as the authorization
// server checks them at registration (RFC 7591) and at /authorize.
// Input: "registered\nrequested"; a JSON object is also tried as a
// registration request.

#include <cstdlib>
#include <set>

#include "fuzz_input.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/mock_backend/client_registry.hpp"

namespace {

using namespace mcpcert;

void fuzz_url(std::string_view text) {
  auto url = http::parse_url(text);
  if (!url) return;
  if (url->host.empty() || url->target.empty() || url->target.front() != '/') std::abort();
  if (url->scheme != "http" && url->scheme != "https") std::abort();
  // origin() is what a connector's resource identifier is compared with.
  (void)url->origin();
}

void fuzz_registration(std::string_view text) {
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return;
  static const std::set<std::string, std::less<>> scopes{"mcp", "finance:read"};
  const auto parsed = backend::parse_client_metadata(body, scopes);
  if (parsed.metadata.has_value() != (parsed.error == backend::RegistrationError::none)) std::abort();
  if (!parsed.metadata) return;
  // A redirect URI the server accepted matches itself at /authorize.
  for (const auto& uri : parsed.metadata->redirect_uris)
    if (!backend::redirect_uri_matches(uri, uri)) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  const auto [registered, requested] = fuzz::split_line(text);
  fuzz_url(registered);
  fuzz_url(requested);

  const bool matches = backend::redirect_uri_matches(registered, requested);
  if (matches && requested.find('#') != std::string_view::npos) std::abort(); // never a fragment
  backend::OAuthClient client;
  client.redirect_uris = {std::string(registered)};
  if (client.accepts_redirect(requested) != matches) std::abort();

  fuzz_registration(text);
  return 0;
}
