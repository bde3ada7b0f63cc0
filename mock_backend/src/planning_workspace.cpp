#include "mcpcert/mock_backend/planning_workspace.hpp"

#include <algorithm>

#include "mcpcert/crypto.hpp"

namespace mcpcert::backend {
namespace {

template <typename T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.id == id; });
  return it == items.end() ? nullptr : &*it;
}

/// What a finished run returns: a scenario simulation scales the app's
/// indicators by the `growth` parameter; any other tool reports the current
/// inputs and node names. Deterministic, so two runs can be compared.
nlohmann::json run_result(const Application& app, const AppTool& tool, const nlohmann::json& parameters) {
  double growth = 0;
  if (auto it = parameters.find("growth"); it != parameters.end() && it->is_number()) growth = it->get<double>();
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& input : app.inputs) inputs[input.id] = input.value;
  nlohmann::json indicators = nlohmann::json::object();
  for (const auto& node : app.nodes) {
    if (node.kind != NodeKind::indicator) continue;
    auto value = node.result.find("value");
    if (value != node.result.end() && value->is_number()) indicators[node.id] = value->get<double>() * (1 + growth);
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : app.nodes) nodes.push_back(node.name);
  return {{"tool", tool.id}, {"application", app.id}, {"inputs", inputs}, {"indicators", indicators},
          {"nodes", nodes}};
}

} // namespace

const char* to_string(ShareScope scope) {
  switch (scope) {
  case ShareScope::company: return "company";
  case ShareScope::department: return "department";
  case ShareScope::team: return "team";
  case ShareScope::user: return "user";
  }
  return "user";
}

std::optional<ShareScope> parse_share_scope(std::string_view text) {
  for (auto scope : {ShareScope::company, ShareScope::department, ShareScope::team, ShareScope::user})
    if (text == to_string(scope)) return scope;
  return std::nullopt;
}

const char* to_string(AppAccess access) {
  switch (access) {
  case AppAccess::none: return "none";
  case AppAccess::view: return "view";
  case AppAccess::edit: return "edit";
  }
  return "none";
}

std::optional<AppAccess> parse_app_access(std::string_view text) {
  for (auto access : {AppAccess::none, AppAccess::view, AppAccess::edit})
    if (text == to_string(access)) return access;
  return std::nullopt;
}

const char* to_string(NodeKind kind) {
  switch (kind) {
  case NodeKind::table: return "table";
  case NodeKind::cube: return "cube";
  case NodeKind::indicator: return "indicator";
  }
  return "table";
}

std::optional<NodeKind> parse_node_kind(std::string_view text) {
  for (auto kind : {NodeKind::table, NodeKind::cube, NodeKind::indicator})
    if (text == to_string(kind)) return kind;
  return std::nullopt;
}

const ModelNode* Application::find_node(std::string_view id) const { return find_by_id(nodes, id); }
const ModelInput* Application::find_input(std::string_view id) const { return find_by_id(inputs, id); }
const AppTool* Application::find_tool(std::string_view id) const { return find_by_id(tools, id); }
const AppVersion* Application::find_version(std::string_view id) const { return find_by_id(versions, id); }

void PlanningWorkspace::add_application(Application app) {
  auto id = app.id;
  apps_.insert_or_assign(std::move(id), std::move(app));
}

const Application* PlanningWorkspace::find_application(std::string_view id) const {
  auto it = apps_.find(id);
  return it == apps_.end() ? nullptr : &it->second;
}

Application* PlanningWorkspace::mutable_app(std::string_view id) {
  auto it = apps_.find(id);
  return it == apps_.end() ? nullptr : &it->second;
}

std::vector<const Application*> PlanningWorkspace::applications() const {
  std::vector<const Application*> out;
  out.reserve(apps_.size());
  for (const auto& entry : apps_) out.push_back(&entry.second);
  return out;
}

PlanningChange PlanningWorkspace::set_input(std::string_view app_id, std::string_view input, nlohmann::json value) {
  Application* app = mutable_app(app_id);
  if (!app) return PlanningChange::unknown_app;
  auto it = std::find_if(app->inputs.begin(), app->inputs.end(), [&](const ModelInput& i) { return i.id == input; });
  if (it == app->inputs.end()) return PlanningChange::unknown_input;
  it->value = std::move(value);
  return PlanningChange::done;
}

PlanningChange PlanningWorkspace::create_version(std::string_view app_id, std::string name, std::string_view user,
                                                 TimePoint now, AppVersion* created) {
  Application* app = mutable_app(app_id);
  if (!app) return PlanningChange::unknown_app;
  for (const auto& version : app->versions)
    if (version.name == name) return PlanningChange::conflict;
  AppVersion version;
  version.id = "ver-" + random_token(8);
  version.name = std::move(name);
  version.created_by = std::string(user);
  version.created_at = now;
  for (const auto& input : app->inputs) version.inputs[input.id] = input.value;
  app->versions.push_back(version);
  if (created) *created = std::move(version);
  return PlanningChange::done;
}

PlanningChange PlanningWorkspace::save_version(std::string_view app_id, std::string_view version_id, TimePoint now,
                                               AppVersion* saved) {
  Application* app = mutable_app(app_id);
  if (!app) return PlanningChange::unknown_app;
  auto it = std::find_if(app->versions.begin(), app->versions.end(),
                         [&](const AppVersion& v) { return v.id == version_id; });
  if (it == app->versions.end()) return PlanningChange::unknown_version;
  it->inputs = nlohmann::json::object();
  for (const auto& input : app->inputs) it->inputs[input.id] = input.value;
  it->saved_at = now;
  if (saved) *saved = *it;
  return PlanningChange::done;
}

ToolRun PlanningWorkspace::start_run(const Application& app, const AppTool& tool, std::string_view user,
                                     nlohmann::json parameters) {
  ToolRun run;
  run.id = "run-" + random_token(10);
  run.app = app.id;
  run.tool = tool.id;
  run.user = std::string(user);
  run.steps = std::max(1, tool.steps);
  run.parameters = std::move(parameters);
  // A one-step tool finishes in the request that starts it.
  if (run.steps == 1) {
    run.step = 1;
    run.status = ToolRunStatus::succeeded;
    run.result = run_result(app, tool, run.parameters);
  }
  runs_.insert_or_assign(run.id, run);
  return run;
}

const ToolRun* PlanningWorkspace::advance_run(std::string_view id) {
  auto it = runs_.find(id);
  if (it == runs_.end()) return nullptr;
  ToolRun& run = it->second;
  if (run.status == ToolRunStatus::running && ++run.step >= run.steps) {
    run.step = run.steps;
    run.status = ToolRunStatus::succeeded;
    const Application* app = find_application(run.app);
    const AppTool* tool = app ? app->find_tool(run.tool) : nullptr;
    if (app && tool) run.result = run_result(*app, *tool, run.parameters);
  }
  return &run;
}

const ToolRun* PlanningWorkspace::find_run(std::string_view id) const {
  auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : &it->second;
}

AppInstance PlanningWorkspace::open(std::string_view app, std::string_view user, TimePoint now) {
  AppInstance instance{"ins-" + random_token(10), std::string(app), std::string(user), now};
  instances_.insert_or_assign(instance.id, instance);
  return instance;
}

const AppInstance* PlanningWorkspace::find_instance(std::string_view id) const {
  auto it = instances_.find(id);
  return it == instances_.end() ? nullptr : &it->second;
}

bool PlanningWorkspace::close(std::string_view id) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return false;
  instances_.erase(it);
  return true;
}

PlanningChange PlanningWorkspace::plant_canary(std::string_view app_id, std::string_view node_id,
                                               std::string_view marker) {
  Application* app = mutable_app(app_id);
  if (!app) return PlanningChange::unknown_app;
  auto it = std::find_if(app->nodes.begin(), app->nodes.end(), [&](const ModelNode& n) { return n.id == node_id; });
  if (it == app->nodes.end()) return PlanningChange::unknown_node;
  if (!it->result.is_object()) it->result = nlohmann::json{{"value", it->result}};
  it->result["annotation"] = std::string(marker);
  return PlanningChange::done;
}

} // namespace mcpcert::backend
