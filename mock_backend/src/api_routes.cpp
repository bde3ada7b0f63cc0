#include <boost/beast/http/field.hpp>

#include "http_replies.hpp"
#include "mcpcert/encoding.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

// Quoted-string content for a WWW-Authenticate parameter (RFC 9110 11.2).
std::string quoted(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '"' || c == '\\') ? '\'' : c;
  return out;
}

/// "/api/v1/a/b%2Fc" -> {"a", "b/c"}; nullopt outside /api/v1/ or for an
/// empty or undecodable segment.
std::optional<std::vector<std::string>> api_segments(std::string_view path) {
  constexpr std::string_view prefix = "/api/v1/";
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  std::vector<std::string> out;
  while (true) {
    auto slash = path.find('/');
    auto raw = path.substr(0, slash);
    auto decoded = url_decode(raw);
    if (raw.empty() || !decoded || decoded->empty()) return std::nullopt;
    out.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

} // namespace

http::Response insufficient_scope(const http::Request& request, std::string_view tenant, std::string_view scope,
                                  std::string_view detail) {
  auto response = problem_response(request, 403, "insufficient-scope", detail);
  response.set(bhttp::field::www_authenticate, "Bearer realm=\"" + std::string(tenant) +
                                                   "\", error=\"insufficient_scope\", scope=\"" + std::string(scope) +
                                                   "\"");
  return response;
}

http::Response method_not_allowed(const http::Request& request, std::string_view allow) {
  auto response = problem_response(request, 405, "method-not-allowed",
                                   std::string(request.method_string()) + " is not allowed on " +
                                       std::string(target_path(request.target())));
  response.set(bhttp::field::allow, allow);
  return response;
}

HandledRequest serve_api(ApiContext& context, const http::Request& request, const ApiAdmission& admit) {
  const auto& tenant = context.server.identity().tenant;
  HandledRequest out;
  auto unauthorized = [&](std::string_view detail, bool token_presented) {
    out.response = problem_response(request, 401, "invalid-token", detail);
    // RFC 6750 3.1: a request without credentials gets no error code.
    std::string challenge = "Bearer realm=\"" + tenant + "\"";
    if (token_presented) challenge += ", error=\"invalid_token\", error_description=\"" + quoted(detail) + "\"";
    out.response.set(bhttp::field::www_authenticate, challenge);
    return out;
  };

  auto token = bearer_token(request);
  if (!token) return unauthorized("a bearer token is required", false);
  auto verdict = context.server.verify_api_token(*token);
  if (!verdict.claims) return unauthorized("token refused: " + verdict.problem, true);
  const AccessClaims& claims = *verdict.claims;
  out.facts.subject = claims.subject;
  out.facts.actor = claims.actor;
  out.facts.token_id = claims.token_id;
  out.facts.client_id = claims.client_id;

  if (auto wait = admit(claims.subject)) {
    out.response = problem_response(request, 429, "rate-limited",
                                    "too many requests for user " + claims.subject + "; retry in " +
                                        std::to_string(wait->count()) + " s");
    out.response.set(bhttp::field::retry_after, std::to_string(wait->count()));
    return out;
  }

  auto path = target_path(request.target());
  if (auto segments = api_segments(path)) {
    if (auto response = serve_finance_routes(context, claims, request, *segments)) {
      out.response = std::move(*response);
      return out;
    }
    if (auto response = serve_planning_routes(context, claims, request, *segments)) {
      out.response = std::move(*response);
      return out;
    }
  }
  out.response = problem_response(request, 404, "not-found", "no such resource: " + std::string(path));
  return out;
}

} // namespace mcpcert::backend
