#include "mcpcert/connector/mcp_services.hpp"

namespace mcpcert::connector {

McpServices::McpServices(const ConnectorConfig& config, const Clock& clock, OperationalLog* log)
    : config_(config),
      clock_(clock),
      log_(log),
      tool_call_records_(log != nullptr ? std::make_unique<LogGroupCommit>(*log) : nullptr),
      gateway_(config, clock),
      tools_(gateway_, config.mutants.contains(Mutant::extra_tool), config.mutants.contains(Mutant::entity_from_arguments)),
      planning_tools_(gateway_, config),
      tool_pages_(config.client_secret, config.tools_page_size) {}

nlohmann::json McpServices::tool_definitions(const AccessIdentity& identity) const {
  if (identity.route != nullptr && identity.route->tool_set == "planning") return planning_tools_.definitions();
  return tools_.definitions();
}

std::string McpServices::insufficient_scope_challenge(const ToolCallReply& reply, const AccessIdentity& identity) {
  std::string challenge = "Bearer error=\"insufficient_scope\", scope=\"" + reply.scope + "\"";
  if (identity.resource != nullptr) challenge += ", resource_metadata=\"" + identity.resource->metadata_url + "\"";
  challenge += ", error_description=\"" + reply.message + "\"";
  return challenge;
}

nlohmann::json McpServices::server_info() {
  return {{"name", "mcpcert-reference-connector"}, {"title", "mcpcert reference connector"}, {"version", "0.1.0"}};
}

const char* McpServices::instructions() {
  return "Finance tools of one entity, or planning tools of one workspace, on behalf of the signed-in user.";
}

bool McpServices::log_event(const std::string& event, const AccessIdentity* identity, const RequestFacts& facts,
                            std::string detail) {
  if (log_ == nullptr) return true;
  AuthEventEntry entry;
  entry.event = event;
  entry.request_id = facts.request_id;
  entry.source_ip = facts.source_ip;
  entry.detail = std::move(detail);
  entry.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  if (identity != nullptr) {
    entry.tenant = identity->tenant;
    entry.region = identity->route->region;
    entry.user = identity->subject;
    entry.client_id = identity->client_id;
  }
  return log_->append(entry) == LogStatus::ok;
}

boost::asio::awaitable<bool> McpServices::log_tool_call(const AccessIdentity& identity, const RequestFacts& facts,
                                                       const std::string& tool, const nlohmann::json& arguments,
                                                       std::int64_t started_at_ms, std::chrono::steady_clock::duration took,
                                                       std::string outcome) {
  if (tool_call_records_ == nullptr) co_return true;
  if (outcome != "success" && config_.mutants.contains(Mutant::failures_not_logged)) co_return true;
  ToolCallEntry entry;
  entry.request_id = facts.request_id;
  entry.tenant = identity.tenant;
  entry.region = identity.route->region;
  entry.tool = tool;
  entry.user = identity.subject;
  entry.entity = identity.entity;
  entry.source_ip = facts.source_ip;
  entry.started_at_ms = started_at_ms;
  entry.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  entry.outcome = std::move(outcome);
  entry.arguments = arguments.is_null() ? std::string{} : arguments.dump();
  co_return co_await tool_call_records_->append(std::move(entry)) == LogStatus::ok;
}

boost::asio::awaitable<ToolCallReply> McpServices::call_tool(const AccessIdentity& identity, const RequestFacts& facts,
                                                             const nlohmann::json& params,
                                                             const PlanningTools::ProgressSink& progress) {
  ToolCallReply reply;
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
    reply.kind = ToolCallReply::Kind::invalid_params;
    reply.message = "params.name must be a string";
    co_return reply;
  }
  const auto arguments = params.value("arguments", nlohmann::json(nullptr));
  const auto tool = params["name"].get<std::string>();
  if (config_.mutants.contains(Mutant::meta_forwarded) && params.contains("_meta")) {
    // The defect: "propagate the client's request context upstream for tracing".
    auto traced = identity;
    traced.forwarded_meta = params["_meta"].dump();
    // Built apart: GCC 12 can't take a braced json initialiser inside a co_await.
    nlohmann::json plain_params = nlohmann::json::object();
    plain_params["name"] = tool;
    plain_params["arguments"] = arguments;
    co_return co_await call_tool(traced, facts, plain_params, progress);
  }
  const auto started_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  const auto started = std::chrono::steady_clock::now();
  const bool planning = identity.route != nullptr && identity.route->tool_set == "planning";
  // Two statements, not a conditional expression: GCC 12 miscompiles co_await inside ?:.
  ToolOutcome outcome;
  if (planning)
    outcome = co_await planning_tools_.call(identity, tool, arguments, progress);
  else
    outcome = co_await tools_.call(identity, tool, arguments);
  std::string logged_outcome;
  switch (outcome.kind) {
  case ToolOutcome::Kind::result:
    logged_outcome = outcome.result.value("isError", false) ? "tool_error" : "success";
    reply.result = std::move(outcome.result);
    break;
  case ToolOutcome::Kind::unknown_tool:
  case ToolOutcome::Kind::invalid_arguments:
    logged_outcome = "invalid_params";
    reply.kind = ToolCallReply::Kind::invalid_params;
    reply.message = outcome.detail;
    break;
  case ToolOutcome::Kind::permission_denied:
    logged_outcome = "permission_denied";
    reply.kind = ToolCallReply::Kind::permission_denied;
    reply.message = "permission denied: " + outcome.detail;
    break;
  case ToolOutcome::Kind::insufficient_scope:
    logged_outcome = "insufficient_scope";
    reply.kind = ToolCallReply::Kind::insufficient_scope;
    reply.message = outcome.detail;
    reply.scope = outcome.scope;
    break;
  case ToolOutcome::Kind::upstream_failure:
    logged_outcome = "upstream_failure";
    reply.result = {{"content", {{{"type", "text"}, {"text", "tenant unavailable: " + outcome.detail}}}}, {"isError", true}};
    break;
  }
  // The record is committed before the response leaves: an acknowledged call is a logged call.
  const bool logged =
      co_await log_tool_call(identity, facts, tool, arguments, started_at_ms, std::chrono::steady_clock::now() - started, logged_outcome);
  if (!logged) {
    reply = ToolCallReply{};
    reply.kind = ToolCallReply::Kind::log_unavailable;
  }
  co_return reply;
}

} // namespace mcpcert::connector
