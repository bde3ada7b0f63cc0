#include "mcpcert/mock_backend/tenant.hpp"

#include "http_replies.hpp"
#include "routes.hpp"

namespace mcpcert::backend {

namespace {
IssuerIdentity for_domain(IssuerIdentity identity, TenantDomain domain) {
  identity.default_scope = domain == TenantDomain::planning ? scope_planning_read : scope_finance_read;
  return identity;
}
} // namespace

Tenant::Tenant(IssuerIdentity identity, TokenLifetimes lifetimes, TenantFixture fixture, const Clock& clock,
               TenantStorage storage, IssuerPolicy policy)
    : clock_(clock),
      domain_(fixture.domain),
      directory_(std::move(fixture.directory)),
      ledger_(std::move(fixture.ledger)),
      planning_(std::move(fixture.planning)),
      oracle_(directory_, planning_),
      clients_(std::move(fixture.clients)),
      grants_(std::move(storage.grants)),
      events_(std::move(storage.events)),
      authorization_server_(for_domain(std::move(identity), domain_), lifetimes, clock, directory_, clients_, *grants_, *events_,
                            std::move(policy)),
      credentials_(std::move(fixture.credentials)) {}

void Tenant::remember_password(std::string_view user, std::string password) {
  for (auto& credential : credentials_)
    if (credential.user == user) credential.password = std::move(password);
}

HandledRequest Tenant::handle_issuer(const http::Request& request) {
  auto handled = serve_issuer(authorization_server_, request);
  handled.facts.bearer_sha256 = presented_bearer_sha256(request);
  return handled;
}

HandledRequest Tenant::handle_api(const http::Request& request) {
  ApiContext context{authorization_server_, directory_, oracle_, ledger_, planning_, data_mutex_, clock_};
  auto handled = serve_api(context, request);
  handled.facts.bearer_sha256 = presented_bearer_sha256(request);
  return handled;
}

} // namespace mcpcert::backend
