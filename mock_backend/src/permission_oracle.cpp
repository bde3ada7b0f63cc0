#include "mcpcert/mock_backend/permission_oracle.hpp"

#include <algorithm>

namespace mcpcert::backend {
namespace {

PermissionDecision deny(std::string reason) { return {false, false, std::move(reason)}; }

/// The operations that mean something for each kind of object.
std::vector<Operation> operations_on(ObjectRef::Kind kind) {
  switch (kind) {
  case ObjectRef::Kind::entity: return {Operation::read, Operation::write};
  case ObjectRef::Kind::application: return {Operation::read, Operation::write};
  case ObjectRef::Kind::node: return {Operation::read};
  case ObjectRef::Kind::tool: return {Operation::run};
  }
  return {};
}

Permission needed_permission(Operation operation) {
  switch (operation) {
  case Operation::read: return Permission::read;
  case Operation::write: return Permission::write;
  case Operation::run: return Permission::run_tools;
  }
  return Permission::administer;
}

} // namespace

const char* to_string(Operation operation) {
  switch (operation) {
  case Operation::read: return "read";
  case Operation::write: return "write";
  case Operation::run: return "run";
  }
  return "read";
}

std::optional<Operation> parse_operation(std::string_view text) {
  for (auto operation : {Operation::read, Operation::write, Operation::run})
    if (text == to_string(operation)) return operation;
  return std::nullopt;
}

std::optional<ObjectRef> ObjectRef::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto kind = text.substr(0, colon);
  auto rest = text.substr(colon + 1);
  ObjectRef out;
  if (kind == "entity" || kind == "app") {
    if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
    out.kind = kind == "entity" ? Kind::entity : Kind::application;
    out.id = std::string(rest);
    return out;
  }
  if (kind != "node" && kind != "tool") return std::nullopt;
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
  out.kind = kind == "node" ? Kind::node : Kind::tool;
  out.id = std::string(rest.substr(0, slash));
  out.item = std::string(rest.substr(slash + 1));
  if (out.item.find('/') != std::string::npos) return std::nullopt;
  return out;
}

std::string ObjectRef::to_string() const {
  switch (kind) {
  case Kind::entity: return "entity:" + id;
  case Kind::application: return "app:" + id;
  case Kind::node: return "node:" + id + "/" + item;
  case Kind::tool: return "tool:" + id + "/" + item;
  }
  return id;
}

AppAccess PermissionOracle::access(const User& user, const Application& app) const {
  if (app.owner == user.id) return AppAccess::edit;
  AppAccess best = AppAccess::none;
  // Administrators of the workspace manage every application in it.
  if (const auto* assignment = user.role_on(app.workspace)) {
    const RoleDefinition* role = directory_.find_role(assignment->role);
    if (role && role->grants(Permission::administer)) best = AppAccess::edit;
  }
  for (const auto& share : app.shares) {
    bool reaches = false;
    switch (share.scope) {
    case ShareScope::company: reaches = true; break;
    case ShareScope::department: reaches = !user.department.empty() && user.department == share.principal; break;
    case ShareScope::team: reaches = user.in_team(share.principal); break;
    case ShareScope::user: reaches = user.id == share.principal; break;
    }
    if (reaches) best = std::max(best, share.access);
  }
  return best;
}

PermissionDecision PermissionOracle::decide(std::string_view user_id, const ObjectRef& object,
                                            Operation operation) const {
  const User* user = directory_.find_user(user_id);
  if (!user) return deny("unknown user " + std::string(user_id));
  if (user->suspended) return deny("user " + user->id + " is suspended");
  auto valid = operations_on(object.kind);
  if (std::find(valid.begin(), valid.end(), operation) == valid.end())
    return deny(std::string(to_string(operation)) + " does not apply to " + object.to_string());
  return object.kind == ObjectRef::Kind::entity ? decide_entity(*user, object, operation)
                                                : decide_planning(*user, object, operation);
}

PermissionDecision PermissionOracle::decide_entity(const User& user, const ObjectRef& object,
                                                   Operation operation) const {
  if (!directory_.find_entity(object.id)) return deny("unknown entity " + object.id);
  const RoleAssignment* assignment = user.role_on(object.id);
  if (!assignment) return deny(user.id + " has no role on " + object.id);
  const RoleDefinition* role = directory_.find_role(assignment->role);
  if (!role || !role->grants(needed_permission(operation)))
    return deny("role " + assignment->role + " does not allow " + to_string(operation));
  PermissionDecision out{true, assignment->mcp_access, "role " + assignment->role};
  if (!assignment->mcp_access) out.reason += "; no MCP Access on " + object.id;
  return out;
}

PermissionDecision PermissionOracle::decide_planning(const User& user, const ObjectRef& object,
                                                     Operation operation) const {
  const Application* app = planning_.find_application(object.id);
  if (!app) return deny("unknown application " + object.id);
  const AppTool* tool = nullptr;
  if (object.kind == ObjectRef::Kind::node && !app->find_node(object.item))
    return deny("unknown node " + object.item + " in " + app->id);
  if (object.kind == ObjectRef::Kind::tool && !(tool = app->find_tool(object.item)))
    return deny("unknown tool " + object.item + " in " + app->id);
  const RoleAssignment* assignment = user.role_on(app->workspace);
  if (!assignment) return deny(user.id + " has no role on workspace " + app->workspace);
  const RoleDefinition* role = directory_.find_role(assignment->role);
  if (!role || !role->grants(needed_permission(operation)))
    return deny("role " + assignment->role + " does not allow " + to_string(operation));
  AppAccess granted = access(user, *app);
  AppAccess needed = operation == Operation::write ? AppAccess::edit : AppAccess::view;
  if (granted < needed)
    return deny(std::string("access to ") + app->id + " is " + backend::to_string(granted) + ", " +
                backend::to_string(needed) + " needed");
  PermissionDecision out{true, assignment->mcp_access,
                         "role " + assignment->role + ", access " + backend::to_string(granted)};
  if (!assignment->mcp_access) out.reason += "; no MCP Access on " + app->workspace;
  if (tool && !tool->exposed) {
    out.allowed_via_mcp = false;
    out.reason += "; tool not exposed to assistants";
  }
  return out;
}

std::vector<const Application*> PermissionOracle::visible_applications(std::string_view user_id,
                                                                        std::string_view workspace) const {
  std::vector<const Application*> out;
  for (const Application* app : planning_.applications()) {
    if (app->workspace != workspace) continue;
    if (decide(user_id, ObjectRef{ObjectRef::Kind::application, app->id, {}}, Operation::read).allowed)
      out.push_back(app);
  }
  return out;
}

nlohmann::json PermissionOracle::matrix() const {
  std::vector<ObjectRef> objects;
  for (const Entity* entity : directory_.entities()) objects.push_back({ObjectRef::Kind::entity, entity->id, {}});
  for (const Application* app : planning_.applications()) {
    objects.push_back({ObjectRef::Kind::application, app->id, {}});
    for (const auto& node : app->nodes) objects.push_back({ObjectRef::Kind::node, app->id, node.id});
    for (const auto& tool : app->tools) objects.push_back({ObjectRef::Kind::tool, app->id, tool.id});
  }
  nlohmann::json cells = nlohmann::json::array();
  for (const User* user : directory_.users()) {
    for (const auto& object : objects) {
      for (auto operation : operations_on(object.kind)) {
        auto decision = decide(user->id, object, operation);
        cells.push_back({{"user", user->id},
                         {"object", object.to_string()},
                         {"operation", to_string(operation)},
                         {"allowed", decision.allowed},
                         {"allowed_via_mcp", decision.allowed_via_mcp},
                         {"reason", decision.reason}});
      }
    }
  }
  return {{"tenant", directory_.tenant()}, {"cells", std::move(cells)}};
}

} // namespace mcpcert::backend
