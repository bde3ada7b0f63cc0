// The planning REST API (see mock_backend/openapi.yaml): applications visible
// to the token's user in the token's workspace, their nodes, inputs, versions,
// tool runs and opened instances. Every decision comes from the permission
// oracle for the token's subject; nothing is taken from the request's body or
// path as to who is asking.

#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

using Json = nlohmann::json;

Json app_summary(const Application& app, AppAccess access) {
  return {{"id", app.id},       {"name", app.name},   {"description", app.description},
          {"owner", app.owner}, {"workspace", app.workspace}, {"access", to_string(access)}};
}

Json node_summary(const ModelNode& node) {
  Json out = {{"id", node.id}, {"name", node.name}, {"kind", to_string(node.kind)}};
  if (!node.dimensions.empty()) out["dimensions"] = node.dimensions;
  return out;
}

Json version_json(const AppVersion& version) {
  Json out = {{"id", version.id},
              {"name", version.name},
              {"created_by", version.created_by},
              {"created_at", format_rfc3339(version.created_at)},
              {"inputs", version.inputs}};
  if (version.saved_at) out["saved_at"] = format_rfc3339(*version.saved_at);
  return out;
}

Json run_json(const ToolRun& run) {
  Json out = {{"id", run.id},
              {"application", run.app},
              {"tool", run.tool},
              {"status", run.status == ToolRunStatus::succeeded ? "succeeded" : "running"},
              {"progress", run.step},
              {"total", run.steps}};
  if (run.status == ToolRunStatus::succeeded) out["result"] = run.result;
  return out;
}

/// The request body as a JSON object whose fields are all in `known`, or the
/// problem saying what is wrong with it.
struct BodyCheck {
  Json value;
  std::optional<http::Response> problem;
};

BodyCheck object_body(const http::Request& request, std::initializer_list<std::string_view> known) {
  BodyCheck out;
  out.value = Json::parse(request.body(), nullptr, false);
  if (out.value.is_discarded()) {
    out.problem = problem_response(request, 400, "malformed-json", "the body is not valid JSON");
    return out;
  }
  if (!out.value.is_object()) {
    out.problem = problem_response(request, 400, "bad-request", "the body must be a JSON object");
    return out;
  }
  for (const auto& [field, value] : out.value.items()) {
    if (std::find(known.begin(), known.end(), field) == known.end()) {
      out.problem = problem_response(request, 400, "unknown-field", "unknown field " + field);
      return out;
    }
  }
  return out;
}

class PlanningRequest {
public:
  PlanningRequest(ApiContext& context, const AccessClaims& claims, const http::Request& request)
      : context_(context), claims_(claims), request_(request) {}

  http::Response route(const std::vector<std::string>& segments);

private:
  bool is(bhttp::verb verb) const { return request_.method() == verb; }
  std::optional<http::Response> require_scope(std::string_view scope) const;
  /// The oracle's decision for the token's subject, as a 403 when it says no.
  std::optional<http::Response> require_allowed(const ObjectRef& object, Operation operation) const;
  http::Response not_found(std::string_view what) const {
    return problem_response(request_, 404, "not-found", std::string(what));
  }

  http::Response list_applications();
  http::Response application(const Application& app, const std::vector<std::string>& rest);
  http::Response versions(const Application& app, const std::vector<std::string>& rest);
  http::Response runs(const Application& app, const std::vector<std::string>& rest);
  http::Response instances(const Application& app, const std::vector<std::string>& rest);

  ApiContext& context_;
  const AccessClaims& claims_;
  const http::Request& request_;
};

std::optional<http::Response> PlanningRequest::require_scope(std::string_view scope) const {
  if (scope_contains(claims_.scope, scope)) return std::nullopt;
  return insufficient_scope(request_, context_.server.identity().tenant, scope,
                            "this operation needs scope " + std::string(scope));
}

std::optional<http::Response> PlanningRequest::require_allowed(const ObjectRef& object, Operation operation) const {
  auto decision = context_.oracle.decide(claims_.subject, object, operation);
  if (decision.allowed) return std::nullopt;
  return problem_response(request_, 403, "forbidden",
                          "user " + claims_.subject + " may not " + to_string(operation) + " " + object.to_string() +
                              ": " + decision.reason);
}

http::Response PlanningRequest::route(const std::vector<std::string>& segments) {
  bool writes = !is(bhttp::verb::get) && !is(bhttp::verb::head);
  // Running a tool and opening an application change no model data.
  bool model_write = writes && !(segments.size() >= 3 && (segments[2] == "tools" || segments[2] == "instances"));
  if (auto problem = require_scope(model_write ? scope_planning_write : scope_planning_read)) return *problem;
  if (segments.size() == 1) {
    if (!is(bhttp::verb::get)) return method_not_allowed(request_, "GET");
    return list_applications();
  }
  const Application* app = context_.planning.find_application(segments[1]);
  if (!app) return not_found("no application " + segments[1]);
  // The workspace comes from the token the issuer bound to the session.
  if (app->workspace != claims_.entity)
    return problem_response(request_, 403, "entity-mismatch",
                            "the token is bound to workspace " + claims_.entity + ", not " + app->workspace);
  return application(*app, std::vector<std::string>(segments.begin() + 2, segments.end()));
}

http::Response PlanningRequest::list_applications() {
  Json apps = Json::array();
  const User* user = context_.directory.find_user(claims_.subject);
  for (const Application* app : context_.oracle.visible_applications(claims_.subject, claims_.entity))
    apps.push_back(app_summary(*app, user ? context_.oracle.access(*user, *app) : AppAccess::none));
  return json_response(request_, 200, {{"workspace", claims_.entity}, {"applications", apps}});
}

http::Response PlanningRequest::application(const Application& app, const std::vector<std::string>& rest) {
  ObjectRef app_ref{ObjectRef::Kind::application, app.id, {}};
  if (rest.empty()) {
    if (!is(bhttp::verb::get)) return method_not_allowed(request_, "GET");
    if (auto problem = require_allowed(app_ref, Operation::read)) return *problem;
    Json nodes = Json::array(), inputs = Json::array(), tools = Json::array();
    for (const auto& node : app.nodes) nodes.push_back(node_summary(node));
    for (const auto& input : app.inputs)
      inputs.push_back({{"id", input.id}, {"name", input.name}, {"node", input.node}, {"value", input.value}});
    for (const auto& tool : app.tools)
      tools.push_back({{"id", tool.id}, {"name", tool.name}, {"description", tool.description},
                       {"exposed", tool.exposed}, {"long_running", tool.steps > 1}});
    const User* user = context_.directory.find_user(claims_.subject);
    Json out = app_summary(app, user ? context_.oracle.access(*user, app) : AppAccess::none);
    out["nodes"] = nodes;
    out["inputs"] = inputs;
    out["tools"] = tools;
    out["version_count"] = app.versions.size();
    return json_response(request_, 200, out);
  }
  const std::string& section = rest[0];
  if (section == "nodes" && rest.size() == 2) {
    if (!is(bhttp::verb::get)) return method_not_allowed(request_, "GET");
    const ModelNode* node = app.find_node(rest[1]);
    if (!node) return not_found("no node " + rest[1] + " in " + app.id);
    if (auto problem = require_allowed({ObjectRef::Kind::node, app.id, node->id}, Operation::read)) return *problem;
    Json out = node_summary(*node);
    out["application"] = app.id;
    out["result"] = node->result;
    return json_response(request_, 200, out);
  }
  if (section == "inputs" && rest.size() <= 2) {
    if (rest.size() == 1) {
      if (!is(bhttp::verb::get)) return method_not_allowed(request_, "GET");
      if (auto problem = require_allowed(app_ref, Operation::read)) return *problem;
      Json inputs = Json::array();
      for (const auto& input : app.inputs)
        inputs.push_back({{"id", input.id}, {"name", input.name}, {"node", input.node}, {"value", input.value}});
      return json_response(request_, 200, {{"application", app.id}, {"inputs", inputs}});
    }
    if (!is(bhttp::verb::put)) return method_not_allowed(request_, "PUT");
    if (!app.find_input(rest[1])) return not_found("no input " + rest[1] + " in " + app.id);
    if (auto problem = require_allowed(app_ref, Operation::write)) return *problem;
    auto body = object_body(request_, {"value"});
    if (body.problem) return *body.problem;
    auto value = body.value.find("value");
    if (value == body.value.end() || value->is_null())
      return problem_response(request_, 400, "bad-request", "value is required");
    context_.planning.set_input(app.id, rest[1], *value);
    return json_response(request_, 200, {{"application", app.id}, {"id", rest[1]}, {"value", *value}});
  }
  if (section == "versions") return versions(app, rest);
  if (section == "tools" || section == "runs") return runs(app, rest);
  if (section == "instances") return instances(app, rest);
  return not_found("no such resource in " + app.id);
}

http::Response PlanningRequest::versions(const Application& app, const std::vector<std::string>& rest) {
  ObjectRef app_ref{ObjectRef::Kind::application, app.id, {}};
  if (rest.size() == 1) {
    if (is(bhttp::verb::get)) {
      if (auto problem = require_allowed(app_ref, Operation::read)) return *problem;
      Json versions = Json::array();
      for (const auto& version : app.versions) versions.push_back(version_json(version));
      return json_response(request_, 200, {{"application", app.id}, {"versions", versions}});
    }
    if (!is(bhttp::verb::post)) return method_not_allowed(request_, "GET, POST");
    if (auto problem = require_allowed(app_ref, Operation::write)) return *problem;
    auto body = object_body(request_, {"name"});
    if (body.problem) return *body.problem;
    auto name = body.value.find("name");
    if (name == body.value.end() || !name->is_string() || name->get<std::string>().empty() ||
        name->get<std::string>().size() > 200)
      return problem_response(request_, 400, "bad-request", "name is required: a string of 1 to 200 characters");
    AppVersion created;
    auto change = context_.planning.create_version(app.id, name->get<std::string>(), claims_.subject,
                                                   context_.clock.now(), &created);
    if (change == PlanningChange::conflict)
      return problem_response(request_, 409, "conflict", "a version named " + name->get<std::string>() + " exists");
    return json_response(request_, 201, version_json(created));
  }
  if (rest.size() != 2) return not_found("no such resource in " + app.id);
  if (!is(bhttp::verb::put)) return method_not_allowed(request_, "PUT");
  if (!app.find_version(rest[1])) return not_found("no version " + rest[1] + " in " + app.id);
  if (auto problem = require_allowed(app_ref, Operation::write)) return *problem;
  AppVersion saved;
  context_.planning.save_version(app.id, rest[1], context_.clock.now(), &saved);
  return json_response(request_, 200, version_json(saved));
}

http::Response PlanningRequest::runs(const Application& app, const std::vector<std::string>& rest) {
  // tools/{tool}/runs
  if (rest[0] == "tools") {
    if (rest.size() != 3 || rest[2] != "runs") return not_found("no such resource in " + app.id);
    if (!is(bhttp::verb::post)) return method_not_allowed(request_, "POST");
    const AppTool* tool = app.find_tool(rest[1]);
    if (!tool) return not_found("no tool " + rest[1] + " in " + app.id);
    if (auto problem = require_allowed({ObjectRef::Kind::tool, app.id, tool->id}, Operation::run)) return *problem;
    auto body = object_body(request_, {"parameters"});
    if (body.problem) return *body.problem;
    Json parameters = Json::object();
    if (auto it = body.value.find("parameters"); it != body.value.end()) {
      if (!it->is_object()) return problem_response(request_, 400, "bad-request", "parameters must be an object");
      parameters = *it;
    }
    auto run = context_.planning.start_run(app, *tool, claims_.subject, std::move(parameters));
    return json_response(request_, run.status == ToolRunStatus::succeeded ? 200 : 202, run_json(run));
  }
  // runs/{run}: a run is its starter's alone.
  if (rest.size() != 2) return not_found("no such resource in " + app.id);
  if (!is(bhttp::verb::get)) return method_not_allowed(request_, "GET");
  const ToolRun* run = context_.planning.find_run(rest[1]);
  if (!run || run->app != app.id || run->user != claims_.subject) return not_found("no run " + rest[1]);
  if (auto problem = require_allowed({ObjectRef::Kind::tool, app.id, run->tool}, Operation::run)) return *problem;
  return json_response(request_, 200, run_json(*context_.planning.advance_run(rest[1])));
}

http::Response PlanningRequest::instances(const Application& app, const std::vector<std::string>& rest) {
  ObjectRef app_ref{ObjectRef::Kind::application, app.id, {}};
  if (auto problem = require_allowed(app_ref, Operation::read)) return *problem;
  if (rest.size() == 1) {
    if (!is(bhttp::verb::post)) return method_not_allowed(request_, "POST");
    auto instance = context_.planning.open(app.id, claims_.subject, context_.clock.now());
    return json_response(request_, 201, {{"id", instance.id}, {"application", app.id},
                                         {"opened_at", format_rfc3339(instance.opened_at)}});
  }
  if (rest.size() != 2) return not_found("no such resource in " + app.id);
  if (!is(bhttp::verb::delete_)) return method_not_allowed(request_, "DELETE");
  const AppInstance* instance = context_.planning.find_instance(rest[1]);
  if (!instance || instance->app != app.id || instance->user != claims_.subject)
    return not_found("no open instance " + rest[1]);
  context_.planning.close(rest[1]);
  return json_response(request_, 200, {{"id", rest[1]}, {"closed", true}});
}

} // namespace

std::optional<http::Response> serve_planning_routes(ApiContext& context, const AccessClaims& claims,
                                                    const http::Request& request,
                                                    const std::vector<std::string>& segments) {
  if (segments.empty() || segments[0] != "apps") return std::nullopt;
  std::lock_guard lock(context.data_lock);
  return PlanningRequest(context, claims, request).route(segments);
}

} // namespace mcpcert::backend
