#pragma once
/// The simulation control plane: moves virtual time, performs admin actions
/// and reads back the audit. Only exists in simulation mode, on loopback,
/// behind a shared secret.

#include <functional>
#include <string>
#include <string_view>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/audit_trail.hpp"
#include "mcpcert/mock_backend/tenant.hpp"

namespace mcpcert::backend {

class ControlApi {
public:
  using TenantLookup = std::function<Tenant*(std::string_view id)>;

  ControlApi(std::string secret, VirtualClock& clock, AuditTrail& audit, TenantLookup tenants);

  http::Response handle(const http::Request& request);

private:
  http::Response route(const http::Request& request);
  /// advance (direction 1) or rewind (-1) the shared virtual clock.
  http::Response move_clock(const http::Request& request, int direction);
  http::Response read_audit(const http::Request& request, Tenant& tenant, std::string_view query);
  http::Response register_resource(const http::Request& request, Tenant& tenant);
  /// Adds or re-keys an OAuth client, e.g. the connector with a secret made for one run.
  http::Response register_client(const http::Request& request, Tenant& tenant);
  /// The fixture's users with their sign-in passwords, so the harness can act as them.
  http::Response list_users(const http::Request& request, Tenant& tenant);
  http::Response change_mcp_access(const http::Request& request, Tenant& tenant);
  /// A new password for the user; every grant of theirs is revoked.
  http::Response rotate_credentials(const http::Request& request, Tenant& tenant);
  /// Suspending revokes every grant of the user; lifting it revives none.
  http::Response suspend_user(const http::Request& request, Tenant& tenant);
  http::Response rotate_signing_key(const http::Request& request, Tenant& tenant);
  /// Gives, changes or (role null) removes a user's role on an entity.
  http::Response change_role(const http::Request& request, Tenant& tenant);
  /// Moves a user to a department, or into or out of a team.
  http::Response change_membership(const http::Request& request, Tenant& tenant);
  /// Makes a listener of the tenant fail (503, malformed JSON, slow, dropped mid-response) or heal.
  http::Response inject_fault(const http::Request& request, Tenant& tenant);
  /// Plants a unique marker in a node result or a finance figure.
  http::Response plant_canary(const http::Request& request, Tenant& tenant);
  /// The permission oracle: one decision, the applications a user sees, the whole matrix.
  http::Response ask_oracle(const http::Request& request, Tenant& tenant, std::string_view query);
  http::Response oracle_applications(const http::Request& request, Tenant& tenant, std::string_view query);
  http::Response oracle_matrix(const http::Request& request, Tenant& tenant, std::string_view query);
  http::Response list_grants(const http::Request& request, Tenant& tenant, std::string_view query);
  http::Response read_auth_events(const http::Request& request, Tenant& tenant, std::string_view query);

  std::string secret_;
  VirtualClock& clock_;
  AuditTrail& audit_;
  TenantLookup tenants_;
};

} // namespace mcpcert::backend
