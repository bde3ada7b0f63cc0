#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "routes.hpp"

namespace mcpcert::backend {

std::optional<http::Response> serve_finance_routes(ApiContext& context, const AccessClaims& claims,
                                                   const http::Request& request,
                                                   const std::vector<std::string>& segments) {
  namespace bhttp = boost::beast::http;
  // entities/{entity}/kpis
  if (segments.size() != 3 || segments[0] != "entities" || segments[2] != "kpis") return std::nullopt;
  const std::string& entity = segments[1];
  if (request.method() != bhttp::verb::get) return method_not_allowed(request, "GET");
  // The entity comes from the token the issuer bound to the session, never
  // from the request alone.
  if (entity != claims.entity)
    return problem_response(request, 403, "entity-mismatch",
                            "the token is bound to entity " + claims.entity + ", not " + entity);
  if (!scope_contains(claims.scope, scope_finance_read))
    return insufficient_scope(request, context.server.identity().tenant, scope_finance_read,
                              "reading KPIs needs scope finance:read");
  if (!context.directory.allows(claims.subject, entity, Permission::read))
    return problem_response(request, 403, "forbidden", "user " + claims.subject + " may not read entity " + entity);

  nlohmann::json kpis = nlohmann::json::array();
  for (const auto& kpi : context.ledger.kpis(entity)) {
    kpis.push_back({{"id", kpi.id}, {"name", kpi.name}, {"period", kpi.period}, {"value", kpi.value},
                    {"currency", kpi.currency}});
  }
  return json_response(request, 200, {{"entity", entity}, {"kpis", kpis}});
}

} // namespace mcpcert::backend
