#pragma once
/// One simulated tenant: its organisation, finance or planning data, permission
/// oracle, authorization server and the two HTTP faces (issuer and API) over them. Listener-agnostic, so
/// tests can drive it without sockets.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/audit_trail.hpp"
#include "mcpcert/mock_backend/authorization_server.hpp"
#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/permission_oracle.hpp"
#include "mcpcert/mock_backend/planning_workspace.hpp"
#include "mcpcert/mock_backend/tenant_fixture.hpp"
#include "mcpcert/mock_backend/tenant_storage.hpp"

namespace mcpcert::backend {

/// A response together with who the request acted as, for the audit.
/// A failure the simulation makes one listener of the tenant show, so a
/// scenario can watch what a connector does when its tenant misbehaves.
enum class FaultMode { none, unavailable, malformed, slow, drop };
const char* to_string(FaultMode mode);
std::optional<FaultMode> parse_fault_mode(std::string_view text);

struct Fault {
  FaultMode mode = FaultMode::none;
  std::chrono::milliseconds delay{0}; ///< slow: before the (correct) answer
};

struct HandledRequest {
  http::Response response;
  AuditFacts facts;
};

class Tenant {
public:
  Tenant(IssuerIdentity identity, TokenLifetimes lifetimes, TenantFixture fixture, const Clock& clock,
         TenantStorage storage, IssuerPolicy policy = {});
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  const IssuerIdentity& identity() const { return authorization_server_.identity(); }
  TenantDomain domain() const { return domain_; }
  TenantDirectory& directory() { return directory_; }
  /// Saves the user's standing after a control-plane change of the directory,
  /// so it outlives a restart. The password is not part of it: a rotated
  /// password is not kept (the fixture's returns with a restart, as the
  /// harness's credentials do), while the grants the rotation revoked stay
  /// revoked in the grant store.
  StoreStatus save_standing(std::string_view user);
  const FinanceLedger& ledger() const { return ledger_; }
  FinanceLedger& ledger() { return ledger_; }
  /// Planning and finance data reads and writes hold data_lock() (requests run in parallel).
  PlanningWorkspace& planning() { return planning_; }
  std::mutex& data_lock() { return data_mutex_; }
  const PermissionOracle& oracle() const { return oracle_; }
  ClientRegistry& clients() { return clients_; }
  GrantStore& grants() { return *grants_; }
  AuthEventLog& events() { return *events_; }
  AuthorizationServer& authorization_server() { return authorization_server_; }
  /// Empty unless the backend runs in simulation mode.
  const std::vector<FixtureCredential>& fixture_credentials() const { return credentials_; }
  /// The fault a listener shows from now on (FaultMode::none: healthy).
  void set_fault(bool api_listener, Fault fault);
  Fault fault(bool api_listener) const;
  /// At most `per_minute` API requests per user and minute (0: unlimited); beyond, 429 with Retry-After.
  void limit_api_rate(int per_minute) { api_rate_limit_per_minute_ = per_minute; }
  /// After a credential rotation, so the harness signs in with the new password.
  void remember_password(std::string_view user, std::string password);

  /// Requests hold it shared from handling to their audit record; admin
  /// changes hold it exclusively. So every audit record after the seq an admin
  /// change returns was decided with the change, while requests still run in
  /// parallel with each other. It also guards the directory, which requests
  /// only read.
  std::shared_mutex& admin_lock() { return admin_lock_; }

  /// The issuer listener's routes: metadata, JWKS, authorize, login, consent,
  /// token, revoke, introspect, register.
  HandledRequest handle_issuer(const http::Request& request);
  /// The API listener's routes: the finance and planning REST API.
  HandledRequest handle_api(const http::Request& request);

private:
  /// nullopt when `user` may make one more API request now; else how long to wait.
  std::optional<std::chrono::seconds> admit(const std::string& user);

  const Clock& clock_;
  TenantDomain domain_;
  TenantDirectory directory_;
  FinanceLedger ledger_;
  PlanningWorkspace planning_;
  std::mutex data_mutex_;
  PermissionOracle oracle_;
  int api_rate_limit_per_minute_ = 0;
  mutable std::mutex fault_mutex_;
  Fault api_fault_;
  Fault issuer_fault_;
  /// Per user: the start of the current one-minute window and the requests in it.
  std::mutex rate_mutex_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, int>, std::less<>> api_windows_;
  ClientRegistry clients_;
  std::unique_ptr<GrantStore> grants_;
  std::unique_ptr<AuthEventLog> events_;
  std::unique_ptr<IssuerStateStore> issuer_state_;
  std::unique_ptr<DirectoryStateStore> directory_state_;
  AuthorizationServer authorization_server_;
  std::vector<FixtureCredential> credentials_;
  std::shared_mutex admin_lock_;
};

} // namespace mcpcert::backend
