#pragma once
/// What the handlers of every protocol revision share: the tool set and the
/// per-call token exchange behind it, and the operational log. A revision's
/// handler only shapes messages; what a call does and what is recorded about
/// it is the same whichever revision asked.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/connector/finance_tools.hpp"
#include "mcpcert/connector/log_group_commit.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/connector/planning_tools.hpp"
#include "mcpcert/connector/tool_pages.hpp"
#include "mcpcert/connector/upstream.hpp"

namespace mcpcert::connector {

/// Facts about one HTTP request that the operational log records.
struct RequestFacts {
  std::string request_id;
  std::string source_ip;
  /// Where a response may be streamed (SSE); null when it can't.
  http::ResponseStream* stream = nullptr;
};

/// How one tools/call ended, before a revision turns it into a reply.
struct ToolCallReply {
  enum class Kind {
    result,            ///< a CallToolResult (isError may be true)
    invalid_params,    ///< -32602: no such tool, or bad params
    permission_denied, ///< the tenant refused: HTTP 403, -32001
    insufficient_scope, ///< a write tool on a read-only token: HTTP 403 with a Bearer insufficient_scope challenge
    log_unavailable,   ///< the record could not be stored: HTTP 503, not acknowledged
  };
  Kind kind = Kind::result;
  nlohmann::json result;
  std::string message; ///< the error message when kind != result
  std::string scope;   ///< insufficient_scope: what the call needs
};

class McpServices {
public:
  /// `log` may be null (no operational log configured).
  McpServices(const ConnectorConfig& config, const Clock& clock, OperationalLog* log);

  const ConnectorConfig& config() const { return config_; }
  const Clock& clock() const { return clock_; }
  /// Whether a tools/call of `tool` for this identity may stream progress.
  bool streams_progress(const AccessIdentity& identity, const std::string& tool) const {
    return identity.route != nullptr && identity.route->tool_set == "planning" && PlanningTools::long_running(tool);
  }
  /// MCP Tool definitions of the identity's tenant (its tool set), in a fixed order.
  nlohmann::json tool_definitions(const AccessIdentity& identity) const;
  /// The page of those definitions tools/list `params` asks for (its `cursor`).
  ToolPage tool_page(const AccessIdentity& identity, const nlohmann::json& params) const {
    return tool_pages_.page(tool_definitions(identity), params);
  }
  /// Runs tools/call with `params` as received: a token exchange for this user, the
  /// tenant call, then the log record, committed before this returns (in one
  /// transaction with the records of calls that finish at the same time).
  boost::asio::awaitable<ToolCallReply> call_tool(const AccessIdentity& identity, const RequestFacts& facts,
                                                  const nlohmann::json& params,
                                                  const PlanningTools::ProgressSink& progress = {});
  /// `WWW-Authenticate` for a 403 insufficient_scope (RFC 6750 3.1, MCP step-up
  /// authorization), naming the metadata of the URL the identity's token is for.
  static std::string insufficient_scope_challenge(const ToolCallReply& reply, const AccessIdentity& identity);
  /// Records an auth event; false when the record could not be stored.
  bool log_event(const std::string& event, const AccessIdentity* identity, const RequestFacts& facts, std::string detail);

  /// The Implementation object (name, title, version) both revisions report.
  static nlohmann::json server_info();
  static const char* instructions();

private:
  boost::asio::awaitable<bool> log_tool_call(const AccessIdentity& identity, const RequestFacts& facts, const std::string& tool,
                                             const nlohmann::json& arguments, std::int64_t started_at_ms,
                                             std::chrono::steady_clock::duration took, std::string outcome);

  const ConnectorConfig& config_;
  const Clock& clock_;
  OperationalLog* log_;
  std::unique_ptr<LogGroupCommit> tool_call_records_; ///< null without a log
  TenantGateway gateway_;
  FinanceTools tools_;
  PlanningTools planning_tools_;
  ToolPages tool_pages_;
};

} // namespace mcpcert::connector
