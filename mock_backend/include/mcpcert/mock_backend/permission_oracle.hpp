#pragma once
/// The backend's own answer to "may this user do that?", as the product's UI
/// would decide it: role on the entity (built-in or custom), application
/// ownership, sharing to the company, a department, a team or the user, and
/// suspension. It also says whether the same action is open to the user
/// through an AI assistant (MCP Access on the entity, and for application
/// tools the author's exposure flag). The API enforces the UI rules from it;
/// differential scenarios compare a connector's allow/deny with it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_backend/planning_workspace.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

enum class Operation { read, write, run };

const char* to_string(Operation operation);
std::optional<Operation> parse_operation(std::string_view text);

/// What a decision is about: "entity:ID", "app:ID", "node:APP/NODE", "tool:APP/TOOL".
struct ObjectRef {
  enum class Kind { entity, application, node, tool };
  Kind kind = Kind::entity;
  std::string id;   ///< the entity or application
  std::string item; ///< the node or tool within the application

  static std::optional<ObjectRef> parse(std::string_view text);
  std::string to_string() const;
};

struct PermissionDecision {
  bool allowed = false;         ///< in the product's UI
  bool allowed_via_mcp = false; ///< through an AI assistant's connector
  std::string reason;
};

class PermissionOracle {
public:
  PermissionOracle(const TenantDirectory& directory, const PlanningWorkspace& planning)
      : directory_(directory), planning_(planning) {}

  /// The user's access to the application before the role narrows it.
  AppAccess access(const User& user, const Application& app) const;
  PermissionDecision decide(std::string_view user, const ObjectRef& object, Operation operation) const;
  /// The applications of `workspace` the user sees in the UI's list, in id order.
  std::vector<const Application*> visible_applications(std::string_view user, std::string_view workspace) const;
  /// Every user x object x operation of the tenant, with its decision.
  nlohmann::json matrix() const;

private:
  PermissionDecision decide_entity(const User& user, const ObjectRef& object, Operation operation) const;
  PermissionDecision decide_planning(const User& user, const ObjectRef& object, Operation operation) const;

  const TenantDirectory& directory_;
  const PlanningWorkspace& planning_;
};

} // namespace mcpcert::backend
