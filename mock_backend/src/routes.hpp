#pragma once
// Private to mcpcert_backend: the HTTP faces of a tenant, over its domain objects.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/authorization_server.hpp"
#include "mcpcert/mock_backend/finance_ledger.hpp"
#include "mcpcert/mock_backend/identity_provider.hpp"
#include "mcpcert/mock_backend/permission_oracle.hpp"
#include "mcpcert/mock_backend/planning_workspace.hpp"
#include "mcpcert/mock_backend/tenant.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

/// What the API listener's routes work on; the caller holds the tenant's admin lock shared.
struct ApiContext {
  const AuthorizationServer& server;
  const TenantDirectory& directory;
  const PermissionOracle& oracle;
  FinanceLedger& ledger;
  PlanningWorkspace& planning;
  std::mutex& data_lock;
  const Clock& clock;
};

HandledRequest serve_issuer(AuthorizationServer& server, const http::Request& request);
/// The URL client_id an issuer request names (the query of /authorize, the
/// form of /token and /revoke), whose metadata document must be resolved
/// before serve_issuer; empty when there is none.
std::string client_document_url(const http::Request& request);

/// The identity provider's listener: its login page, the assertion post-back page, its JWKS.
http::Response serve_identity_provider(IdentityProvider& provider, const http::Request& request);
/// Says whether the user may make one more request now, or how long to wait.
using ApiAdmission = std::function<std::optional<std::chrono::seconds>(const std::string& user)>;
/// Authenticates the exchanged token, applies the per-user rate limit, then
/// the finance or planning routes.
HandledRequest serve_api(ApiContext& context, const http::Request& request, const ApiAdmission& admit);

/// A route's answer: nullopt when the path is not one of its routes.
std::optional<http::Response> serve_finance_routes(ApiContext& context, const AccessClaims& claims,
                                                   const http::Request& request,
                                                   const std::vector<std::string>& segments);
std::optional<http::Response> serve_planning_routes(ApiContext& context, const AccessClaims& claims,
                                                    const http::Request& request,
                                                    const std::vector<std::string>& segments);

/// 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750 3.1).
http::Response insufficient_scope(const http::Request& request, std::string_view tenant, std::string_view scope,
                                  std::string_view detail);
/// 405 with Allow.
http::Response method_not_allowed(const http::Request& request, std::string_view allow);

} // namespace mcpcert::backend
