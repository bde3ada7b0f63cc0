#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

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

/// "/api/v1/entities/{entity}/kpis" -> the decoded entity id.
std::optional<std::string> kpis_entity(std::string_view path) {
  constexpr std::string_view prefix = "/api/v1/entities/";
  constexpr std::string_view suffix = "/kpis";
  if (!path.starts_with(prefix) || !path.ends_with(suffix)) return std::nullopt;
  auto raw = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (raw.empty() || raw.find('/') != std::string_view::npos) return std::nullopt;
  auto decoded = url_decode(raw);
  if (!decoded || decoded->empty()) return std::nullopt;
  return decoded;
}

} // namespace

HandledRequest serve_finance_api(const AuthorizationServer& server, const TenantDirectory& directory,
                                 const FinanceLedger& ledger, const http::Request& request) {
  const auto& tenant = server.identity().tenant;
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
  auto verdict = server.verify_api_token(*token);
  if (!verdict.claims) return unauthorized("token refused: " + verdict.problem, true);
  const AccessClaims& claims = *verdict.claims;
  out.facts.subject = claims.subject;
  out.facts.actor = claims.actor;
  out.facts.token_id = claims.token_id;
  out.facts.client_id = claims.client_id;

  auto path = target_path(request.target());
  auto entity = kpis_entity(path);
  if (!entity) {
    out.response = problem_response(request, 404, "not-found", "no such resource: " + std::string(path));
    return out;
  }
  if (request.method() != bhttp::verb::get) {
    out.response = problem_response(request, 405, "method-not-allowed",
                                    std::string(request.method_string()) + " is not allowed on " + std::string(path));
    out.response.set(bhttp::field::allow, "GET");
    return out;
  }
  // The entity comes from the token the issuer bound to the session, never
  // from the request alone.
  if (*entity != claims.entity) {
    out.response = problem_response(request, 403, "entity-mismatch",
                                    "the token is bound to entity " + claims.entity + ", not " + *entity);
    return out;
  }
  if (!scope_contains(claims.scope, scope_finance_read)) {
    out.response = problem_response(request, 403, "insufficient-scope", "reading KPIs needs scope finance:read");
    out.response.set(bhttp::field::www_authenticate,
                     "Bearer realm=\"" + tenant + "\", error=\"insufficient_scope\", scope=\"finance:read\"");
    return out;
  }
  if (!directory.allows(claims.subject, *entity, Permission::read)) {
    out.response = problem_response(request, 403, "forbidden",
                                    "user " + claims.subject + " may not read entity " + *entity);
    return out;
  }

  nlohmann::json kpis = nlohmann::json::array();
  for (const auto& kpi : ledger.kpis(*entity)) {
    kpis.push_back({{"id", kpi.id}, {"name", kpi.name}, {"period", kpi.period}, {"value", kpi.value},
                    {"currency", kpi.currency}});
  }
  out.response = json_response(request, 200, {{"entity", *entity}, {"kpis", kpis}});
  return out;
}

} // namespace mcpcert::backend
