#pragma once
/// The tenant's organisation: entities, users, their roles per entity and the
/// per-entity MCP Access permission. This is what the backend itself answers
/// "may this user do that?" from, so the connector can be compared against it.
/// Not synchronised: the tenant's lock orders admin changes against requests.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert::backend {

enum class Role { viewer, editor, admin };
enum class Permission { read, write, administer };

const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

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
  Role role = Role::viewer;
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
};

struct User {
  std::string id;
  std::string display_name;
  std::string password_salt;
  std::string password_hash; ///< sha256(salt || password)
  std::string default_entity;
  bool suspended = false;
  std::vector<RoleAssignment> roles;

  const RoleAssignment* role_on(std::string_view entity) const;
};

enum class McpAccessChange { changed, unchanged, unknown_user, unknown_entity, no_role };

class TenantDirectory {
public:
  TenantDirectory(std::string tenant, Company company);

  const std::string& tenant() const { return tenant_; }
  const Company& company() const { return company_; }

  void add_entity(Entity entity);
  /// Hashes the password with a fresh salt; the plain text is not kept.
  void add_user(UserSpec spec);

  const Entity* find_entity(std::string_view id) const;
  const User* find_user(std::string_view id) const;
  std::vector<const Entity*> entities() const;
  /// In id order.
  std::vector<const User*> users() const;

  /// False for an unknown user too, after the same amount of hashing.
  bool verify_password(std::string_view user, std::string_view password) const;
  /// What the role on `entity` lets the user do; suspended users may do nothing.
  bool allows(std::string_view user, std::string_view entity, Permission permission) const;
  bool has_mcp_access(std::string_view user, std::string_view entity) const;
  bool is_active(std::string_view user) const;

  /// The admin switch of MCP Access; granting needs an existing role on the entity.
  McpAccessChange set_mcp_access(std::string_view user, std::string_view entity, bool granted);
  /// Credential rotation: a fresh salt and hash; false for an unknown user.
  bool set_password(std::string_view user, std::string_view password);
  /// false for an unknown user.
  bool set_suspended(std::string_view user, bool suspended);

private:
  std::string tenant_;
  Company company_;
  std::map<std::string, Entity, std::less<>> entities_;
  std::map<std::string, User, std::less<>> users_;
};

} // namespace mcpcert::backend
