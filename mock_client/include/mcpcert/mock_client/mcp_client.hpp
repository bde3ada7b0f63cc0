#pragma once
/// The scripted client's MCP side: Streamable HTTP requests with a bearer
/// token, the session id and the negotiated protocol version.

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"

namespace mcpcert::client {

/// One JSON-RPC exchange as the client saw it.
struct McpReply {
  HttpReply http;
  std::size_t exchange_index = 0;
  nlohmann::json message; ///< the JSON-RPC response (from JSON or from the SSE stream), or discarded

  bool has_result() const { return message.is_object() && message.contains("result"); }
  bool has_error() const { return message.is_object() && message.contains("error"); }
  /// A tools/call result that reports a tool failure.
  bool is_tool_error() const;
};

class McpClient {
public:
  McpClient(HttpAgent& agent, std::string mcp_url, std::string access_token)
      : agent_(agent), mcp_url_(std::move(mcp_url)), access_token_(std::move(access_token)) {}

  /// initialize, then notifications/initialized; returns the initialize reply.
  /// A later request the server answers 404 for its session (ended by DELETE,
  /// idleness or a restart) starts a new session this way and is sent again once.
  McpReply connect(const std::string& protocol_version = "2025-11-25");
  McpReply request(const std::string& method, nlohmann::json params);
  McpReply call_tool(const std::string& name, nlohmann::json arguments);

  const std::string& session_id() const { return session_id_; }
  const std::string& protocol_version() const { return protocol_version_; }
  void set_access_token(std::string token) { access_token_ = std::move(token); }

  /// Given a 401 or 403 reply, a new access token to send the same request
  /// again with, or nothing to give up (see ChallengeResponder).
  using Reauthorizer = std::function<std::optional<std::string>(const HttpReply& challenge)>;
  /// Answers challenges with `reauthorize`, at most `retry_limit` times per
  /// request: a server that keeps refusing must not loop the client forever.
  void set_reauthorizer(Reauthorizer reauthorize, int retry_limit = 2) {
    reauthorize_ = std::move(reauthorize);
    retry_limit_ = retry_limit;
  }

private:
  McpReply post(const nlohmann::json& message);
  McpReply post_once(const nlohmann::json& message);

  HttpAgent& agent_;
  std::string mcp_url_;
  std::string access_token_;
  std::string session_id_;
  std::string protocol_version_;
  std::string requested_version_ = "2025-11-25"; ///< what connect asked for, asked again when a session must restart
  long next_id_ = 1;
  Reauthorizer reauthorize_;
  int retry_limit_ = 0;
};

} // namespace mcpcert::client
