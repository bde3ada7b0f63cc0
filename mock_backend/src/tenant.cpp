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
      issuer_state_(std::move(storage.issuer_state)),
      directory_state_(std::move(storage.directory_state)),
      authorization_server_(for_domain(std::move(identity), domain_), lifetimes, clock, directory_, clients_, *grants_, *events_,
                            *issuer_state_, std::move(policy)),
      credentials_(std::move(fixture.credentials)) {
  // Registered at run time after the fixture was written: they replace a fixture client of the same id.
  for (auto& client : issuer_state_->clients()) clients_.add_client(std::move(client));
  // An administrator's changes before a restart stand over the fixture.
  for (auto& [user, standing] : directory_state_->standings()) {
    if (auto problem = directory_.restore(user, std::move(standing)); !problem.empty())
      throw StorageError("state database: the saved standing of user " + user + " no longer fits the fixture: " + problem);
  }
}

StoreStatus Tenant::save_standing(std::string_view user) {
  auto standing = directory_.standing(user);
  if (!standing) return StoreStatus::failed;
  return directory_state_->save(std::string(user), *standing, clock_.now());
}

void Tenant::remember_password(std::string_view user, std::string password) {
  for (auto& credential : credentials_)
    if (credential.user == user) credential.password = std::move(password);
}

HandledRequest Tenant::handle_issuer(const http::Request& request) {
  auto handled = serve_issuer(authorization_server_, request);
  handled.facts.bearer_sha256 = presented_bearer_sha256(request);
  return handled;
}

const char* to_string(FaultMode mode) {
  switch (mode) {
  case FaultMode::none: return "none";
  case FaultMode::unavailable: return "unavailable";
  case FaultMode::malformed: return "malformed";
  case FaultMode::slow: return "slow";
  case FaultMode::drop: return "drop";
  }
  return "none";
}

std::optional<FaultMode> parse_fault_mode(std::string_view text) {
  for (auto mode : {FaultMode::none, FaultMode::unavailable, FaultMode::malformed, FaultMode::slow, FaultMode::drop})
    if (text == to_string(mode)) return mode;
  return std::nullopt;
}

void Tenant::set_fault(bool api_listener, Fault fault) {
  std::lock_guard lock(fault_mutex_);
  (api_listener ? api_fault_ : issuer_fault_) = fault;
}

Fault Tenant::fault(bool api_listener) const {
  std::lock_guard lock(fault_mutex_);
  return api_listener ? api_fault_ : issuer_fault_;
}

std::optional<std::chrono::seconds> Tenant::admit(const std::string& user) {
  if (api_rate_limit_per_minute_ <= 0) return std::nullopt;
  // Real time, not the tenant's clock: load is measured in wall-clock seconds
  // even when expiry runs on virtual time.
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(rate_mutex_);
  auto& [window_start, count] = api_windows_[user];
  if (now - window_start >= std::chrono::minutes(1)) {
    window_start = now;
    count = 0;
  }
  if (++count <= api_rate_limit_per_minute_) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(window_start + std::chrono::minutes(1) - now);
  return std::max(left, std::chrono::seconds(1));
}

HandledRequest Tenant::handle_api(const http::Request& request) {
  ApiContext context{authorization_server_, directory_, oracle_, ledger_, planning_, data_mutex_, clock_};
  auto handled = serve_api(context, request, [this](const std::string& user) { return admit(user); });
  handled.facts.bearer_sha256 = presented_bearer_sha256(request);
  return handled;
}

} // namespace mcpcert::backend
