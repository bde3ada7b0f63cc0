#pragma once
/// The tenant's planning data, in the style of Pyplan: applications owned by a
/// user and shared with the company, a department, a team or a user; their
/// model nodes (tables, cubes with dimensions, indicators) with results; model
/// inputs; versions; and the application tools the author marks exposed to AI
/// assistants or not. Tool runs progress one step per status read, so a
/// long-running tool streams progress deterministically, without sleeping.
/// Not synchronised: the tenant's lock orders writes against reads.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

enum class ShareScope { company, department, team, user };
/// Ordered: edit includes view.
enum class AppAccess { none = 0, view = 1, edit = 2 };
enum class NodeKind { table, cube, indicator };

const char* to_string(ShareScope scope);
std::optional<ShareScope> parse_share_scope(std::string_view text);
const char* to_string(AppAccess access);
std::optional<AppAccess> parse_app_access(std::string_view text);
const char* to_string(NodeKind kind);
std::optional<NodeKind> parse_node_kind(std::string_view text);

struct Share {
  ShareScope scope = ShareScope::user;
  std::string principal; ///< department, team or user id; empty for the company
  AppAccess access = AppAccess::view;
};

struct ModelNode {
  std::string id;
  std::string name;
  NodeKind kind = NodeKind::table;
  std::vector<std::string> dimensions; ///< cubes only
  nlohmann::json result;
};

struct ModelInput {
  std::string id;
  std::string name;
  std::string node; ///< the node whose result it feeds
  nlohmann::json value;
};

struct AppVersion {
  std::string id;
  std::string name;
  std::string created_by;
  TimePoint created_at{};
  std::optional<TimePoint> saved_at;
  nlohmann::json inputs = nlohmann::json::object(); ///< input id -> value, as saved
};

struct AppTool {
  std::string id;
  std::string name;
  std::string description;
  bool exposed = false; ///< marked by the author as callable by AI assistants
  int steps = 1;        ///< more than one: long-running, with progress
};

struct Application {
  std::string id;
  std::string name;
  std::string description;
  std::string workspace; ///< the entity the application lives in
  std::string owner;
  std::vector<Share> shares;
  std::vector<ModelNode> nodes;
  std::vector<ModelInput> inputs;
  std::vector<AppVersion> versions;
  std::vector<AppTool> tools;

  const ModelNode* find_node(std::string_view id) const;
  const ModelInput* find_input(std::string_view id) const;
  const AppTool* find_tool(std::string_view id) const;
  const AppVersion* find_version(std::string_view id) const;
};

enum class ToolRunStatus { running, succeeded };

struct ToolRun {
  std::string id;
  std::string app;
  std::string tool;
  std::string user;
  int step = 0;
  int steps = 1;
  ToolRunStatus status = ToolRunStatus::running;
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json result;
};

/// An opened application (Pyplan's per-user app instance).
struct AppInstance {
  std::string id;
  std::string app;
  std::string user;
  TimePoint opened_at{};
};

enum class PlanningChange { done, unknown_app, unknown_node, unknown_input, unknown_version, unknown_tool, conflict };

class PlanningWorkspace {
public:
  void add_application(Application app);

  const Application* find_application(std::string_view id) const;
  /// In id order.
  std::vector<const Application*> applications() const;

  PlanningChange set_input(std::string_view app, std::string_view input, nlohmann::json value);
  /// A new version holding the current inputs; `conflict` when the name is taken.
  PlanningChange create_version(std::string_view app, std::string name, std::string_view user, TimePoint now,
                                AppVersion* created);
  /// Saves the current inputs into an existing version.
  PlanningChange save_version(std::string_view app, std::string_view version, TimePoint now, AppVersion* saved);

  ToolRun start_run(const Application& app, const AppTool& tool, std::string_view user, nlohmann::json parameters);
  /// Moves the run one step on and returns it; nullptr for an unknown run.
  const ToolRun* advance_run(std::string_view run);
  const ToolRun* find_run(std::string_view run) const;

  AppInstance open(std::string_view app, std::string_view user, TimePoint now);
  const AppInstance* find_instance(std::string_view id) const;
  bool close(std::string_view id);

  /// Plants `marker` in the node's result (simulation only), so a scan of the
  /// connector's storage can later look for it.
  PlanningChange plant_canary(std::string_view app, std::string_view node, std::string_view marker);

private:
  Application* mutable_app(std::string_view id);

  std::map<std::string, Application, std::less<>> apps_;
  std::map<std::string, ToolRun, std::less<>> runs_;
  std::map<std::string, AppInstance, std::less<>> instances_;
};

} // namespace mcpcert::backend
