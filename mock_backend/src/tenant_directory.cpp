#include "mcpcert/mock_backend/tenant_directory.hpp"

#include <algorithm>

#include "mcpcert/crypto.hpp"

namespace mcpcert::backend {
namespace {

std::string password_hash(std::string_view salt, std::string_view password) {
  std::string input;
  input.reserve(salt.size() + password.size());
  input.append(salt).append(password);
  return sha256(input);
}

RoleDefinition built_in(std::string id, std::string name, std::vector<Permission> permissions) {
  return RoleDefinition{std::move(id), std::move(name), std::move(permissions), true};
}

} // namespace

const char* to_string(Permission permission) {
  switch (permission) {
  case Permission::read: return "read";
  case Permission::write: return "write";
  case Permission::run_tools: return "run_tools";
  case Permission::administer: return "administer";
  }
  return "read";
}

std::optional<Permission> parse_permission(std::string_view text) {
  for (auto permission : {Permission::read, Permission::write, Permission::run_tools, Permission::administer})
    if (text == to_string(permission)) return permission;
  return std::nullopt;
}

bool RoleDefinition::grants(Permission permission) const {
  return std::find(permissions.begin(), permissions.end(), permission) != permissions.end();
}

const RoleAssignment* User::role_on(std::string_view entity) const {
  for (const auto& assignment : roles)
    if (assignment.entity == entity) return &assignment;
  return nullptr;
}

bool User::in_team(std::string_view team) const {
  return std::find(teams.begin(), teams.end(), team) != teams.end();
}

TenantDirectory::TenantDirectory(std::string tenant, Company company)
    : tenant_(std::move(tenant)), company_(std::move(company)) {
  for (auto role : {built_in("viewer", "Viewer", {Permission::read}),
                    built_in("editor", "Editor", {Permission::read, Permission::write, Permission::run_tools}),
                    built_in("admin", "Administrator",
                             {Permission::read, Permission::write, Permission::run_tools, Permission::administer})})
    add_role(std::move(role));
}

void TenantDirectory::add_role(RoleDefinition role) {
  auto id = role.id;
  roles_.insert_or_assign(std::move(id), std::move(role));
}

void TenantDirectory::add_department(Department department) {
  auto id = department.id;
  departments_.insert_or_assign(std::move(id), std::move(department));
}

void TenantDirectory::add_team(Team team) {
  auto id = team.id;
  teams_.insert_or_assign(std::move(id), std::move(team));
}

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
  user.department = std::move(spec.department);
  user.teams = std::move(spec.teams);
  user.totp_secret = std::move(spec.totp_secret);
  user.sso_subject = std::move(spec.sso_subject);
  user.sso_only = spec.sso_only;
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

const RoleDefinition* TenantDirectory::find_role(std::string_view id) const {
  auto it = roles_.find(id);
  return it == roles_.end() ? nullptr : &it->second;
}

const Department* TenantDirectory::find_department(std::string_view id) const {
  auto it = departments_.find(id);
  return it == departments_.end() ? nullptr : &it->second;
}

const Team* TenantDirectory::find_team(std::string_view id) const {
  auto it = teams_.find(id);
  return it == teams_.end() ? nullptr : &it->second;
}

namespace {
template <typename T>
std::vector<const T*> values_of(const std::map<std::string, T, std::less<>>& map) {
  std::vector<const T*> out;
  out.reserve(map.size());
  for (const auto& entry : map) out.push_back(&entry.second);
  return out;
}
} // namespace

std::vector<const RoleDefinition*> TenantDirectory::roles() const { return values_of(roles_); }
std::vector<const Department*> TenantDirectory::departments() const { return values_of(departments_); }
std::vector<const Team*> TenantDirectory::teams() const { return values_of(teams_); }

std::vector<const Entity*> TenantDirectory::entities() const { return values_of(entities_); }
std::vector<const User*> TenantDirectory::users() const { return values_of(users_); }

bool TenantDirectory::verify_password(std::string_view user, std::string_view password) const {
  const User* found = find_user(user);
  // Hash even for an unknown user, so timing doesn't tell which user names exist.
  static const std::string decoy_salt(16, '\0');
  auto computed = password_hash(found ? found->password_salt : decoy_salt, password);
  if (!found || found->sso_only) return false;
  return constant_time_equal(computed, found->password_hash);
}

const User* TenantDirectory::find_user_by_sso_subject(std::string_view subject) const {
  if (subject.empty()) return nullptr;
  for (const auto& [id, user] : users_)
    if (user.sso_subject == subject) return &user;
  return nullptr;
}

bool TenantDirectory::allows(std::string_view user, std::string_view entity, Permission permission) const {
  const User* found = find_user(user);
  if (!found || found->suspended) return false;
  const RoleAssignment* assignment = found->role_on(entity);
  if (!assignment) return false;
  const RoleDefinition* role = find_role(assignment->role);
  return role && role->grants(permission);
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

DirectoryChange TenantDirectory::set_mcp_access(std::string_view user, std::string_view entity, bool granted) {
  auto user_it = users_.find(user);
  if (user_it == users_.end()) return DirectoryChange::unknown_user;
  if (!find_entity(entity)) return DirectoryChange::unknown_entity;
  for (auto& assignment : user_it->second.roles) {
    if (assignment.entity != entity) continue;
    if (assignment.mcp_access == granted) return DirectoryChange::unchanged;
    assignment.mcp_access = granted;
    return DirectoryChange::changed;
  }
  return granted ? DirectoryChange::no_role : DirectoryChange::unchanged;
}

DirectoryChange TenantDirectory::set_role(std::string_view user, std::string_view entity, std::string_view role) {
  auto user_it = users_.find(user);
  if (user_it == users_.end()) return DirectoryChange::unknown_user;
  if (!find_entity(entity)) return DirectoryChange::unknown_entity;
  if (!role.empty() && !find_role(role)) return DirectoryChange::unknown_role;
  auto& roles = user_it->second.roles;
  auto it = std::find_if(roles.begin(), roles.end(), [&](const RoleAssignment& a) { return a.entity == entity; });
  if (role.empty()) {
    if (it == roles.end()) return DirectoryChange::unchanged;
    roles.erase(it);
    return DirectoryChange::changed;
  }
  if (it == roles.end()) {
    roles.push_back({std::string(entity), std::string(role), false});
    return DirectoryChange::changed;
  }
  if (it->role == role) return DirectoryChange::unchanged;
  it->role = std::string(role);
  return DirectoryChange::changed;
}

DirectoryChange TenantDirectory::set_department(std::string_view user, std::string_view department) {
  auto it = users_.find(user);
  if (it == users_.end()) return DirectoryChange::unknown_user;
  if (!department.empty() && !find_department(department)) return DirectoryChange::unknown_department;
  if (it->second.department == department) return DirectoryChange::unchanged;
  it->second.department = std::string(department);
  return DirectoryChange::changed;
}

DirectoryChange TenantDirectory::set_team_membership(std::string_view user, std::string_view team, bool member) {
  auto it = users_.find(user);
  if (it == users_.end()) return DirectoryChange::unknown_user;
  if (!find_team(team)) return DirectoryChange::unknown_team;
  auto& teams = it->second.teams;
  auto found = std::find(teams.begin(), teams.end(), team);
  if (member == (found != teams.end())) return DirectoryChange::unchanged;
  if (member)
    teams.emplace_back(team);
  else
    teams.erase(found);
  return DirectoryChange::changed;
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

std::optional<UserStanding> TenantDirectory::standing(std::string_view user) const {
  const auto* found = find_user(user);
  if (found == nullptr) return std::nullopt;
  return UserStanding{found->suspended, found->roles, found->department, found->teams};
}

std::string TenantDirectory::restore(std::string_view user, UserStanding standing) {
  auto it = users_.find(user);
  if (it == users_.end()) return "unknown user";
  for (const auto& assignment : standing.roles) {
    if (!find_entity(assignment.entity)) return "unknown entity " + assignment.entity;
    if (!find_role(assignment.role)) return "unknown role " + assignment.role;
  }
  if (!standing.department.empty() && !find_department(standing.department)) return "unknown department " + standing.department;
  for (const auto& team : standing.teams)
    if (!find_team(team)) return "unknown team " + team;
  auto& restored = it->second;
  restored.suspended = standing.suspended;
  restored.roles = std::move(standing.roles);
  restored.department = std::move(standing.department);
  restored.teams = std::move(standing.teams);
  return {};
}

} // namespace mcpcert::backend
