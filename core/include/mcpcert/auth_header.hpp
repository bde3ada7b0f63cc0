#pragma once
/// Parsers for the HTTP authentication headers (RFC 9110 section 11):
/// `WWW-Authenticate` challenges sent by resource servers and the
/// `Authorization: Bearer` credentials they receive.

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

} // namespace mcpcert
