#include "mcpcert/connector/planning_tools.hpp"

#include <fstream>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {
namespace {

namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

constexpr int max_run_polls = 200;

struct ToolSpec {
  const char* name;
  const char* title;
  const char* description;
  std::vector<const char*> required; ///< string arguments
  bool writes = false;
  bool takes_value = false;      ///< update_input's JSON `value`
  bool takes_parameters = false; ///< run_app_tool's `parameters` object
};

const std::vector<ToolSpec>& tool_specs() {
  static const std::vector<ToolSpec> specs{
      {"list_applications", "List applications", "Applications of this workspace the signed-in user has access to.",
       {}},
      {"get_application", "Application metadata", "An application's nodes, inputs, exposed tools and owner.",
       {"application"}},
      {"open_application", "Open application", "Opens an application for this user; returns the instance id.",
       {"application"}},
      {"close_application", "Close application", "Closes an instance opened with open_application.",
       {"application", "instance"}},
      {"get_node_result", "Read a node's result", "The result of a model node (table, cube or indicator).",
       {"application", "node"}},
      {"run_app_tool", "Run an application tool",
       "Runs a tool the application's author exposed to assistants (e.g. a scenario simulation); long-running tools "
       "report progress.",
       {"application", "tool"}, false, false, true},
      {"list_versions", "List versions", "The application's saved versions.", {"application"}},
      {"create_version", "Create a version", "A new version holding the current inputs (needs edit rights).",
       {"application", "name"}, true},
      {"save_version", "Save a version", "Saves the current inputs into an existing version (needs edit rights).",
       {"application", "version"}, true},
      {"update_input", "Update an input", "Sets a model input's value (needs edit rights).",
       {"application", "input"}, true, true},
  };
  return specs;
}

const ToolSpec* find_spec(const std::string& name) {
  for (const auto& spec : tool_specs())
    if (name == spec.name) return &spec;
  return nullptr;
}

Json input_schema(const ToolSpec& spec) {
  Json properties = Json::object();
  for (const char* field : spec.required) properties[field] = {{"type", "string"}, {"minLength", 1}};
  Json required = spec.required;
  if (spec.takes_value) {
    properties["value"] = {{"description", "The new value (number, string or JSON)"}};
    required.push_back("value");
  }
  if (spec.takes_parameters) properties["parameters"] = {{"type", "object"}, {"description", "Tool parameters"}};
  return {{"type", "object"}, {"properties", properties}, {"required", required}, {"additionalProperties", false}};
}

Json tool_error(std::string text) {
  return {{"content", {{{"type", "text"}, {"text", std::move(text)}}}}, {"isError", true}};
}

ToolOutcome invalid_input(std::string text) {
  ToolOutcome outcome;
  outcome.result = tool_error(std::move(text));
  return outcome;
}

ToolOutcome refusal(ToolOutcome::Kind kind, std::string detail) {
  ToolOutcome outcome;
  outcome.kind = kind;
  outcome.detail = std::move(detail);
  return outcome;
}

ToolOutcome structured_result(Json structured) {
  ToolOutcome outcome;
  outcome.result = {{"content", {{{"type", "text"}, {"text", structured.dump()}}}},
                    {"structuredContent", std::move(structured)},
                    {"isError", false}};
  return outcome;
}

/// What a failed upstream reply means to the caller.
ToolOutcome failed(const UpstreamReply& reply) {
  ToolOutcome outcome;
  switch (reply.status) {
  case UpstreamStatus::permission_denied:
    outcome.kind = ToolOutcome::Kind::permission_denied;
    outcome.detail = reply.detail;
    break;
  case UpstreamStatus::not_found: outcome.result = tool_error("not found: " + reply.detail); break;
  case UpstreamStatus::rejected: outcome.result = tool_error("refused by the tenant: " + reply.detail); break;
  case UpstreamStatus::ok:
  case UpstreamStatus::unavailable:
    outcome.kind = ToolOutcome::Kind::upstream_failure;
    outcome.detail = reply.detail;
    break;
  }
  return outcome;
}

std::string app_path(const std::string& app) { return "/api/v1/apps/" + url_encode(app); }

} // namespace

PlanningTools::PlanningTools(TenantGateway& gateway, const ConnectorConfig& config)
    : gateway_(gateway), config_(config) {}

bool PlanningTools::writes(const std::string& name) {
  const ToolSpec* spec = find_spec(name);
  return spec && spec->writes;
}

Json PlanningTools::definitions() const {
  Json tools = Json::array();
  for (const auto& spec : tool_specs()) {
    tools.push_back({{"name", spec.name},
                     {"title", spec.title},
                     {"description", spec.description},
                     {"inputSchema", input_schema(spec)},
                     {"outputSchema", {{"type", "object"}}},
                     {"annotations", {{"readOnlyHint", !spec.writes}}}});
  }
  return tools;
}

boost::asio::awaitable<UpstreamReply> PlanningTools::write(const AccessIdentity& identity, const std::string& app,
                                                           bhttp::verb method, std::string path, const Json& body) {
  if (config_.mutants.contains(Mutant::write_token_per_app))
    co_return co_await gateway_.send_as_app_writer(identity, app, method, std::move(path), body);
  co_return co_await gateway_.send(identity, method, std::move(path), body);
}

boost::asio::awaitable<ToolOutcome> PlanningTools::call(const AccessIdentity& identity, const std::string& name,
                                                         const Json& arguments, const ProgressSink& progress) {
  const ToolSpec* spec = find_spec(name);
  if (!spec) co_return refusal(ToolOutcome::Kind::unknown_tool, "unknown tool '" + name + "'");
  // Input validation errors are tool results with isError (MCP: the model can correct itself).
  if (!arguments.is_null() && !arguments.is_object()) co_return invalid_input("arguments must be an object");
  const Json args = arguments.is_null() ? Json::object() : arguments;
  for (const auto& [key, value] : args.items()) {
    bool known = (spec->takes_value && key == "value") || (spec->takes_parameters && key == "parameters");
    for (const char* field : spec->required) known = known || key == field;
    if (!known) co_return invalid_input("unexpected argument '" + key + "'");
  }
  std::map<std::string, std::string> fields;
  for (const char* field : spec->required) {
    auto it = args.find(field);
    if (it == args.end() || !it->is_string() || it->get<std::string>().empty())
      co_return invalid_input(std::string("argument '") + field + "' is required and must be a non-empty string");
    fields[field] = it->get<std::string>();
  }
  if (spec->takes_value && (!args.contains("value") || args["value"].is_null()))
    co_return invalid_input("argument 'value' is required");
  if (spec->takes_parameters && args.contains("parameters") && !args["parameters"].is_object())
    co_return invalid_input("argument 'parameters' must be an object");
  if (spec->writes && !scope_includes(identity.scope, "planning:write")) {
    auto outcome = refusal(ToolOutcome::Kind::insufficient_scope,
                           std::string(name) + " changes tenant data and needs scope planning:write");
    outcome.scope = "planning:read planning:write";
    co_return outcome;
  }

  const std::string& app = fields["application"];
  const std::string tool_name = name;
  if (tool_name == "list_applications") {
    auto key = identity.tenant + "/" + identity.entity;
    if (config_.mutants.contains(Mutant::list_cache_shared)) {
      std::lock_guard lock(mutant_mutex_);
      if (auto hit = mutant_list_cache_.find(key); hit != mutant_list_cache_.end()) co_return structured_result(hit->second);
    }
    auto reply = co_await gateway_.get(identity, "/api/v1/apps");
    if (reply.status != UpstreamStatus::ok) co_return failed(reply);
    Json structured = {{"applications", reply.body.value("applications", Json::array())}};
    if (config_.mutants.contains(Mutant::list_cache_shared)) {
      std::lock_guard lock(mutant_mutex_);
      mutant_list_cache_[key] = structured;
    }
    co_return structured_result(std::move(structured));
  }
  if (tool_name == "get_application") {
    auto reply = co_await gateway_.get(identity, app_path(app));
    if (reply.status != UpstreamStatus::ok) co_return failed(reply);
    // Assistants see only the tools the author exposed to them.
    Json tools = Json::array();
    for (const auto& tool : reply.body.value("tools", Json::array()))
      if (tool.value("exposed", false)) tools.push_back(tool);
    reply.body["tools"] = tools;
    co_return structured_result(std::move(reply.body));
  }
  if (tool_name == "open_application") {
    auto reply = co_await gateway_.send(identity, bhttp::verb::post, app_path(app) + "/instances");
    if (reply.status != UpstreamStatus::ok) co_return failed(reply);
    co_return structured_result(std::move(reply.body));
  }
  if (tool_name == "close_application") {
    auto reply = co_await gateway_.send(identity, bhttp::verb::delete_,
                                        app_path(app) + "/instances/" + url_encode(fields["instance"]));
    if (reply.status != UpstreamStatus::ok) co_return failed(reply);
    co_return structured_result(std::move(reply.body));
  }
  if (tool_name == "get_node_result") co_return co_await node_result(identity, app, fields["node"]);
  if (tool_name == "run_app_tool") {
    Json parameters = args.contains("parameters") ? args["parameters"] : Json::object();
    co_return co_await run_app_tool(identity, app, fields["tool"], std::move(parameters), progress);
  }
  if (tool_name == "list_versions") {
    auto reply = co_await gateway_.get(identity, app_path(app) + "/versions");
    if (reply.status != UpstreamStatus::ok) co_return failed(reply);
    co_return structured_result(std::move(reply.body));
  }
  UpstreamReply reply;
  if (tool_name == "create_version") {
    const Json body = {{"name", fields["name"]}};
    reply = co_await write(identity, app, bhttp::verb::post, app_path(app) + "/versions", body);
  } else if (tool_name == "save_version") {
    const Json none;
    reply = co_await write(identity, app, bhttp::verb::put, app_path(app) + "/versions/" + url_encode(fields["version"]),
                           none);
  } else {
    const Json body = {{"value", args["value"]}};
    reply = co_await write(identity, app, bhttp::verb::put, app_path(app) + "/inputs/" + url_encode(fields["input"]),
                           body);
  }
  if (reply.status != UpstreamStatus::ok) co_return failed(reply);
  co_return structured_result(std::move(reply.body));
}

boost::asio::awaitable<ToolOutcome> PlanningTools::node_result(const AccessIdentity& identity, const std::string& app,
                                                                const std::string& node) {
  auto key = identity.tenant + "/" + app + "/" + node;
  if (config_.mutants.contains(Mutant::node_result_cache_shared)) {
    std::lock_guard lock(mutant_mutex_);
    if (auto hit = mutant_node_cache_.find(key); hit != mutant_node_cache_.end()) co_return structured_result(hit->second);
  }
  auto reply = co_await gateway_.get(identity, app_path(app) + "/nodes/" + url_encode(node));
  if (reply.status != UpstreamStatus::ok) co_return failed(reply);
  if (config_.mutants.contains(Mutant::node_result_cache_shared)) {
    std::lock_guard lock(mutant_mutex_);
    mutant_node_cache_[key] = reply.body;
  }
  if (config_.mutants.contains(Mutant::result_disk_cache) && config_.log) {
    auto dir = config_.log->directory / "result-cache";
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    std::ofstream(dir / (hex_encode(identity.tenant + "-" + app + "-" + node) + ".json")) << reply.body.dump();
  }
  co_return structured_result(std::move(reply.body));
}

boost::asio::awaitable<ToolOutcome> PlanningTools::run_app_tool(const AccessIdentity& identity, const std::string& app,
                                                                 const std::string& tool, Json parameters,
                                                                 const ProgressSink& progress) {
  // The author's exposure flag is checked before anything runs: a tool not
  // exposed to assistants is refused even for the application's owner.
  if (!config_.mutants.contains(Mutant::exposure_ignored)) {
    auto meta = co_await gateway_.get(identity, app_path(app));
    if (meta.status != UpstreamStatus::ok) co_return failed(meta);
    std::optional<Json> found;
    if (auto tools = meta.body.find("tools"); tools != meta.body.end() && tools->is_array())
      for (const auto& candidate : *tools)
        if (candidate.is_object() && candidate.value("id", "") == tool) found = candidate;
    if (!found) co_return invalid_input("no tool " + tool + " in " + app);
    if (!found->value("exposed", false))
      co_return refusal(ToolOutcome::Kind::permission_denied,
                        "tool " + tool + " of " + app + " is not exposed to assistants by its author");
  }
  const Json run_request = {{"parameters", std::move(parameters)}};
  auto started = co_await gateway_.send(identity, bhttp::verb::post,
                                        app_path(app) + "/tools/" + url_encode(tool) + "/runs", run_request);
  if (started.status != UpstreamStatus::ok) co_return failed(started);
  Json run = std::move(started.body);
  for (int poll = 0; run.value("status", "") == "running"; ++poll) {
    if (poll == max_run_polls)
      co_return refusal(ToolOutcome::Kind::upstream_failure, "the tool run did not finish");
    auto status = co_await gateway_.get(identity, app_path(app) + "/runs/" + url_encode(run.value("id", "")));
    if (status.status != UpstreamStatus::ok) co_return failed(status);
    run = std::move(status.body);
    if (progress) {
      const double step = run.value("progress", 0.0);
      const double total = run.value("total", 1.0);
      std::string message = "step " + std::to_string(run.value("progress", 0)) + " of " + std::to_string(run.value("total", 1));
      co_await progress(step, total, std::move(message));
    }
  }
  co_return structured_result(std::move(run));
}

} // namespace mcpcert::connector
