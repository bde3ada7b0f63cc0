#pragma once
/// Byte encodings used on the wire: base64url (JOSE, PKCE), hex, base32 (TOTP secrets) and
/// application/x-www-form-urlencoded (OAuth endpoints).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mcpcert {

/// RFC 4648 section 5, without padding.
std::string base64url_encode(std::string_view bytes);
/// Accepts unpadded base64url only; nullopt on any character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

/// RFC 4648 section 4 with padding (HTTP Basic credentials).
std::string base64_encode(std::string_view bytes);
/// Accepts padded standard base64 only (length a multiple of 4, '=' only at
/// the end); nullopt otherwise, and for non-zero leftover bits.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);

/// RFC 4648 section 6 base32 with padding (how TOTP secrets are shown).
std::string base32_encode(std::string_view bytes);
/// Upper or lower case, padding optional, spaces ignored (as authenticator apps
/// accept secrets); nullopt on any other character or impossible length.
std::optional<std::string> base32_decode(std::string_view text);

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);
/// Decodes %XX and '+' (as space); nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text);

/// Ordered form fields; a repeated name is an error for OAuth endpoints
/// (RFC 6749 section 3.1), so the parser reports it instead of picking one.
using FormFields = std::map<std::string, std::string, std::less<>>;

enum class FormStatus { ok, malformed_escape, repeated_field };

struct FormParse {
  FormStatus status = FormStatus::ok;
  std::string field; ///< the offending field name when status != ok
  FormFields fields;
};

/// Parses an application/x-www-form-urlencoded body or URL query string.
FormParse parse_form(std::string_view body);
std::string encode_form(const FormFields& fields);

} // namespace mcpcert
