#include "mcpcert/mock_backend/tenant.hpp"

#include "http_replies.hpp"
#include "routes.hpp"

namespace mcpcert::backend {

Tenant::Tenant(IssuerIdentity identity, TokenLifetimes lifetimes, TenantFixture fixture, const Clock& clock,
               TenantStorage storage)
    : directory_(std::move(fixture.directory)),
      ledger_(std::move(fixture.ledger)),
      clients_(std::move(fixture.clients)),
      grants_(std::move(storage.grants)),
      events_(std::move(storage.events)),
      authorization_server_(std::move(identity), lifetimes, clock, directory_, clients_, *grants_, *events_),
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
  auto handled = serve_finance_api(authorization_server_, directory_, ledger_, request);
  handled.facts.bearer_sha256 = presented_bearer_sha256(request);
  return handled;
}

} // namespace mcpcert::backend
