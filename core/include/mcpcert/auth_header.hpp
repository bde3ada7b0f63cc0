#pragma once
/// Parsers for the HTTP authentication headers (RFC 9110 section 11):
/// `WWW-Authenticate` challenges sent by resource servers, the
/// `Authorization: Bearer` credentials they receive, and the
/// `Authorization: Basic` credentials OAuth clients authenticate with.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert {

/// One challenge: a scheme and its auth-params (names lower-cased, values unquoted).
struct AuthChallenge {
  std::string scheme; ///< lower-cased, e.g. "bearer"
  std::map<std::string, std::string, std::less<>> params;
};

/// Parses a WWW-Authenticate value holding one or more challenges;
/// nullopt when the syntax is broken (unterminated quote, missing '=', ...).
std::optional<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive,
/// RFC 6750 token68 charset); nullopt for any other scheme or a malformed token.
std::optional<std::string> parse_bearer_credentials(std::string_view header);

/// An OAuth client's id and secret from `Authorization: Basic`.
struct BasicCredentials {
  std::string id;
  std::string secret;
};

/// The credentials of an `Authorization: Basic` value (RFC 7617; scheme
/// case-insensitive): standard padded base64 of "id:secret", each part then
/// form-url-decoded as RFC 6749 section 2.3.1 requires. nullopt for any other
/// scheme, bad base64, no colon, a control character, a bad escape or an empty id.
std::optional<BasicCredentials> parse_basic_credentials(std::string_view header);

/// Whether an OAuth scope value (space-delimited, RFC 6749 section 3.3) includes `wanted`.
bool scope_includes(std::string_view scope, std::string_view wanted);

} // namespace mcpcert
