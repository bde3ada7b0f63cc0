#pragma once
// Private to mcpcert_backend: the response shapes the backend's listeners share,
// and what they read from the Authorization header.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/authorization_server.hpp"

namespace mcpcert::backend {

/// RFC 9457 problem details; `kind` becomes the type URN "urn:mcpcert:problem:<kind>".
http::Response problem_response(const http::Request& request, unsigned status, std::string_view kind,
                                std::string_view detail);
http::Response json_response(const http::Request& request, unsigned status, const nlohmann::json& body);
/// HTML that must not be cached or framed (login and consent pages).
http::Response html_response(const http::Request& request, unsigned status, std::string_view title,
                             std::string_view body_html);
http::Response redirect_response(const http::Request& request, std::string_view location);

std::string html_escape(std::string_view text);

/// The path of a request target, without the query.
std::string_view target_path(std::string_view target);
/// The query of a request target, without the '?'; empty when there is none.
std::string_view target_query(std::string_view target);

/// The token of `Authorization: Bearer <token>` (RFC 6750 2.1); nullopt when
/// the header is absent, of another scheme, or malformed.
std::optional<std::string> bearer_token(const http::Request& request);
/// Client authentication by `Authorization: Basic` (core's parse_basic_credentials):
/// absent (no header, or another scheme such as Bearer), ok, or malformed.
enum class BasicStatus { absent, ok, malformed };
struct BasicAuthorization {
  BasicStatus status = BasicStatus::absent;
  ClientCredentials credentials;
};
BasicAuthorization basic_authorization(const http::Request& request);

/// Lowercase hex SHA-256 of the raw token of `Authorization: Bearer`, valid
/// or not (the audit proves which token reached a listener without storing
/// it); empty when no Bearer credentials were presented.
std::string presented_bearer_sha256(const http::Request& request);

/// "2025-01-31T12:00:00.000Z"
std::string format_rfc3339(TimePoint time);

} // namespace mcpcert::backend
