#include "mcpcert/mock_backend/tenant_directory.hpp"

#include "mcpcert/crypto.hpp"

namespace mcpcert::backend {
namespace {

std::string password_hash(std::string_view salt, std::string_view password) {
  std::string input;
  input.reserve(salt.size() + password.size());
  input.append(salt).append(password);
  return sha256(input);
}

bool role_allows(Role role, Permission permission) {
  switch (permission) {
  case Permission::read: return true;
  case Permission::write: return role == Role::editor || role == Role::admin;
  case Permission::administer: return role == Role::admin;
  }
  return false;
}

} // namespace

const char* to_string(Role role) {
  switch (role) {
  case Role::viewer: return "viewer";
  case Role::editor: return "editor";
  case Role::admin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "editor") return Role::editor;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

const RoleAssignment* User::role_on(std::string_view entity) const {
  for (const auto& assignment : roles)
    if (assignment.entity == entity) return &assignment;
  return nullptr;
}

TenantDirectory::TenantDirectory(std::string tenant, Company company)
    : tenant_(std::move(tenant)), company_(std::move(company)) {}

void TenantDirectory::add_entity(Entity entity) {
  auto id = entity.id;
  entities_.insert_or_assign(std::move(id), std::move(entity));
}

void TenantDirectory::add_user(UserSpec spec) {
  User user;
  user.id = spec.id;
  user.display_name = std::move(spec.display_name);
  user.password_salt = random_bytes(16);
  user.password_hash = password_hash(user.password_salt, spec.password);
  user.default_entity = std::move(spec.default_entity);
  user.suspended = spec.suspended;
  user.roles = std::move(spec.roles);
  users_.insert_or_assign(std::move(spec.id), std::move(user));
}

const Entity* TenantDirectory::find_entity(std::string_view id) const {
  auto it = entities_.find(id);
  return it == entities_.end() ? nullptr : &it->second;
}

const User* TenantDirectory::find_user(std::string_view id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

std::vector<const Entity*> TenantDirectory::entities() const {
  std::vector<const Entity*> out;
  for (const auto& [id, entity] : entities_) out.push_back(&entity);
  return out;
}

std::vector<const User*> TenantDirectory::users() const {
  std::vector<const User*> out;
  for (const auto& [id, user] : users_) out.push_back(&user);
  return out;
}

bool TenantDirectory::verify_password(std::string_view user, std::string_view password) const {
  const User* found = find_user(user);
  // Hash even for an unknown user, so timing doesn't tell which user names exist.
  static const std::string decoy_salt(16, '\0');
  auto computed = password_hash(found ? found->password_salt : decoy_salt, password);
  if (!found) return false;
  return constant_time_equal(computed, found->password_hash);
}

bool TenantDirectory::allows(std::string_view user, std::string_view entity, Permission permission) const {
  const User* found = find_user(user);
  if (!found || found->suspended) return false;
  const RoleAssignment* assignment = found->role_on(entity);
  return assignment && role_allows(assignment->role, permission);
}

bool TenantDirectory::has_mcp_access(std::string_view user, std::string_view entity) const {
  const User* found = find_user(user);
  if (!found || found->suspended) return false;
  const RoleAssignment* assignment = found->role_on(entity);
  return assignment && assignment->mcp_access;
}

bool TenantDirectory::is_active(std::string_view user) const {
  const User* found = find_user(user);
  return found && !found->suspended;
}

McpAccessChange TenantDirectory::set_mcp_access(std::string_view user, std::string_view entity, bool granted) {
  auto user_it = users_.find(user);
  if (user_it == users_.end()) return McpAccessChange::unknown_user;
  if (!find_entity(entity)) return McpAccessChange::unknown_entity;
  for (auto& assignment : user_it->second.roles) {
    if (assignment.entity != entity) continue;
    if (assignment.mcp_access == granted) return McpAccessChange::unchanged;
    assignment.mcp_access = granted;
    return McpAccessChange::changed;
  }
  return granted ? McpAccessChange::no_role : McpAccessChange::unchanged;
}

bool TenantDirectory::set_password(std::string_view user, std::string_view password) {
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  it->second.password_salt = random_bytes(16);
  it->second.password_hash = password_hash(it->second.password_salt, password);
  return true;
}

bool TenantDirectory::set_suspended(std::string_view user, bool suspended) {
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  it->second.suspended = suspended;
  return true;
}

} // namespace mcpcert::backend
