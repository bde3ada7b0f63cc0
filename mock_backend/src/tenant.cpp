#include "mcpcert/mock_backend/tenant.hpp"

#include "routes.hpp"

namespace mcpcert::backend {

Tenant::Tenant(IssuerIdentity identity, TokenLifetimes lifetimes, TenantFixture fixture, const Clock& clock,
               std::unique_ptr<GrantStore> grants)
    : directory_(std::move(fixture.directory)),
      ledger_(std::move(fixture.ledger)),
      clients_(std::move(fixture.clients)),
      grants_(std::move(grants)),
      authorization_server_(std::move(identity), lifetimes, clock, directory_, clients_, *grants_),
      credentials_(std::move(fixture.credentials)) {}

HandledRequest Tenant::handle_issuer(const http::Request& request) {
  return serve_issuer(authorization_server_, request);
}

HandledRequest Tenant::handle_api(const http::Request& request) {
  return serve_finance_api(authorization_server_, directory_, ledger_, request);
}

} // namespace mcpcert::backend
