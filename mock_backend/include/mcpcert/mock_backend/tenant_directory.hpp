#pragma once
/// The tenant's organisation: the company, its departments and teams, the
/// entities (finance entities or planning workspaces), users with their
/// memberships, the role catalogue (built-in viewer, editor, admin plus the
/// tenant's custom roles), each user's role per entity and the per-entity MCP
/// Access permission. This is what the backend itself answers "may this user
/// do that?" from, so the connector can be compared against it.
/// Not synchronised: the tenant's lock orders admin changes against requests.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert::backend {

/// What a role lets its holder do on an entity, before sharing narrows it.
enum class Permission { read, write, run_tools, administer };

const char* to_string(Permission permission);
std::optional<Permission> parse_permission(std::string_view text);

/// A role of the catalogue. The built-in ones: viewer {read}, editor {read,
/// write, run_tools}, admin {everything}; a tenant adds custom ones.
struct RoleDefinition {
  std::string id;
  std::string name;
  std::vector<Permission> permissions;
  bool built_in = false;

  bool grants(Permission permission) const;
};

struct Department {
  std::string id;
  std::string name;
};

struct Team {
  std::string id;
  std::string name;
  std::string department;
};

struct Company {
  std::string id;
  std::string name;
};

struct Entity {
  std::string id;
  std::string name;
  std::string currency;
};

/// A user's role on one entity; MCP Access is granted per entity, on top of the role.
struct RoleAssignment {
  std::string entity;
  std::string role = "viewer"; ///< an id of the role catalogue
  bool mcp_access = false;
};

/// A user as the fixture describes it; the password is hashed on the way in.
struct UserSpec {
  std::string id;
  std::string display_name;
  std::string password;
  std::string default_entity;
  bool suspended = false;
  std::vector<RoleAssignment> roles;
  std::string department; ///< empty: in no department
  std::vector<std::string> teams;
  std::string totp_secret; ///< raw key bytes (RFC 6238); empty: no second factor enrolled
  std::string sso_subject; ///< the user's account at the tenant's identity provider; empty: none linked
  bool sso_only = false;   ///< signs in only through the identity provider; `password` is unused
};

/// What an administrator can change about a user through the control plane
/// (not the password: see Tenant::save_standing); kept across restarts.
struct UserStanding {
  bool suspended = false;
  std::vector<RoleAssignment> roles;
  std::string department;
  std::vector<std::string> teams;
};

struct User {
  std::string id;
  std::string display_name;
  std::string password_salt;
  std::string password_hash; ///< sha256(salt || password)
  std::string default_entity;
  bool suspended = false;
  std::vector<RoleAssignment> roles;
  std::string department;
  std::vector<std::string> teams;
  /// The second factor's key; sign-in asks for a one-time code whenever one is enrolled.
  std::string totp_secret;
  /// The linked account at the tenant's identity provider (single sign-on).
  std::string sso_subject;
  /// No password sign-in at all: only through the identity provider.
  bool sso_only = false;

  bool has_second_factor() const { return !totp_secret.empty(); }
  const RoleAssignment* role_on(std::string_view entity) const;
  bool in_team(std::string_view team) const;
};

/// The outcome of an admin change, so the control plane can say why nothing happened.
enum class DirectoryChange {
  changed,
  unchanged,
  unknown_user,
  unknown_entity,
  unknown_role,
  unknown_department,
  unknown_team,
  no_role,
};

class TenantDirectory {
public:
  TenantDirectory(std::string tenant, Company company);

  const std::string& tenant() const { return tenant_; }
  const Company& company() const { return company_; }

  void add_entity(Entity entity);
  /// Adds or replaces a role of the catalogue (the built-in ones are there from the start).
  void add_role(RoleDefinition role);
  void add_department(Department department);
  void add_team(Team team);
  /// Hashes the password with a fresh salt; the plain text is not kept.
  void add_user(UserSpec spec);

  const Entity* find_entity(std::string_view id) const;
  const User* find_user(std::string_view id) const;
  const RoleDefinition* find_role(std::string_view id) const;
  const Department* find_department(std::string_view id) const;
  const Team* find_team(std::string_view id) const;
  std::vector<const Entity*> entities() const;
  std::vector<const RoleDefinition*> roles() const;
  std::vector<const Department*> departments() const;
  std::vector<const Team*> teams() const;
  /// In id order.
  std::vector<const User*> users() const;

  /// False for an unknown user and an SSO-only one too, after the same amount of hashing.
  bool verify_password(std::string_view user, std::string_view password) const;
  /// The user linked to `subject` at the tenant's identity provider; null when none.
  const User* find_user_by_sso_subject(std::string_view subject) const;
  /// What the role on `entity` lets the user do; suspended users may do nothing.
  bool allows(std::string_view user, std::string_view entity, Permission permission) const;
  bool has_mcp_access(std::string_view user, std::string_view entity) const;
  bool is_active(std::string_view user) const;

  /// The admin switch of MCP Access; granting needs an existing role on the entity.
  DirectoryChange set_mcp_access(std::string_view user, std::string_view entity, bool granted);
  /// Gives the user `role` on `entity` (a new assignment starts without MCP
  /// Access); an empty `role` removes the assignment and with it MCP Access.
  DirectoryChange set_role(std::string_view user, std::string_view entity, std::string_view role);
  /// An empty `department` takes the user out of any department.
  DirectoryChange set_department(std::string_view user, std::string_view department);
  DirectoryChange set_team_membership(std::string_view user, std::string_view team, bool member);
  /// Credential rotation: a fresh salt and hash; false for an unknown user.
  bool set_password(std::string_view user, std::string_view password);
  /// false for an unknown user.
  bool set_suspended(std::string_view user, bool suspended);

  /// The user's standing now; nullopt for an unknown user.
  std::optional<UserStanding> standing(std::string_view user) const;
  /// Puts back a standing saved earlier. Changes nothing and names the
  /// problem (an unknown user, entity, role, department or team: the fixture
  /// changed since) when it can't; empty when it did.
  std::string restore(std::string_view user, UserStanding standing);

private:
  std::string tenant_;
  Company company_;
  std::map<std::string, Entity, std::less<>> entities_;
  std::map<std::string, RoleDefinition, std::less<>> roles_;
  std::map<std::string, Department, std::less<>> departments_;
  std::map<std::string, Team, std::less<>> teams_;
  std::map<std::string, User, std::less<>> users_;
};

} // namespace mcpcert::backend
