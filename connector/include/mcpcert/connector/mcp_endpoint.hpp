#pragma once
/// The MCP Streamable HTTP endpoint and the OAuth protected-resource
/// metadata, on one listener.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/connector/finance_tools.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/connector/upstream.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

/// An MCP session (protocol revisions that have them): bound to the user who opened it.
struct McpSession {
  std::string issuer;
  std::string subject;
  std::string protocol_version;
  bool initialized = false; ///< notifications/initialized received
};

class McpEndpoint {
public:
  /// `log` may be null (no operational log configured).
  McpEndpoint(const ConnectorConfig& config, const Clock& clock, std::string base_url, OperationalLog* log);

  boost::asio::awaitable<http::Response> handle(http::Request& request, const http::RequestContext& context);

  const std::string& resource() const { return resource_; }

private:
  /// Per-request facts the log needs.
  struct CallContext {
    std::string request_id;
    std::string source_ip;
  };
  boost::asio::awaitable<http::Response> handle_mcp_post(http::Request& request, const AccessIdentity& identity,
                                                         const CallContext& facts);
  http::Response handle_mcp_delete(http::Request& request, const AccessIdentity& identity, const CallContext& call);
  /// False when the record could not be stored: the caller must not acknowledge the call.
  bool log_event(const std::string& event, const AccessIdentity* identity, const CallContext& call, std::string detail);
  bool log_tool_call(const AccessIdentity& identity, const CallContext& call, const std::string& tool,
                     const nlohmann::json& arguments, std::int64_t started_at_ms, std::chrono::steady_clock::duration took,
                     const std::string& outcome);
  http::Response protected_resource_metadata(const http::Request& request) const;
  http::Response unauthorized(const http::Request& request, std::string_view error, std::string_view description) const;
  bool origin_allowed(const http::Request& request) const;
  bool session_belongs_to(const McpSession& session, const AccessIdentity& identity) const;

  const ConnectorConfig& config_;
  const Clock& clock_;
  std::string base_url_;
  std::string resource_;
  std::string metadata_url_;
  BearerValidator validator_;
  OperationalLog* log_;
  TenantGateway gateway_;
  FinanceTools tools_;
  std::mutex sessions_mutex_;
  std::map<std::string, McpSession, std::less<>> sessions_;
};

} // namespace mcpcert::connector
