#pragma once
/// The session revisions of Streamable HTTP (2025-06-18, 2025-11-25): an
/// `initialize` opens a session bound to the user who opened it, every later
/// message names it in Mcp-Session-Id, DELETE ends it.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/mcp_services.hpp"
#include "mcpcert/connector/sse_writer.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::connector {

/// An MCP session: bound to the user who opened it, at the MCP URL they opened it at.
struct McpSession {
  std::string issuer;
  std::string subject;
  const McpResource* resource = nullptr;
  std::string protocol_version;
  bool initialized = false; ///< notifications/initialized received
  TimePoint last_used{};    ///< on the connector's clock; idle sessions end
  std::size_t open_streams = 0; ///< tool-call SSE streams now open on this session
};

class LegacySessions {
public:
  explicit LegacySessions(McpServices& services) : services_(services) {}

  /// One message of a session revision. `named_version` is the version the request
  /// named (header or _meta), already known to be a session revision, if any.
  boost::asio::awaitable<http::Response> handle_post(http::Request& request, const AccessIdentity& identity,
                                                     const RequestFacts& facts, const jsonrpc::Message& message,
                                                     std::optional<std::string_view> named_version);
  /// DELETE ends a session (only its owner can).
  http::Response handle_delete(http::Request& request, const AccessIdentity& identity, const RequestFacts& facts);
  /// GET with Last-Event-ID: the events of that stream after that id, if the
  /// stream is one of this session's (resumption never crosses streams).
  http::Response handle_resume(http::Request& request, const AccessIdentity& identity);

private:
  /// One SSE event as sent, kept so a broken stream can be resumed.
  struct SentEvent {
    std::size_t index = 0;
    std::string text; ///< the whole event, "id: ...\ndata: ...\n\n"
  };
  struct SentStream {
    std::string session_id;
    std::vector<SentEvent> events;
  };

  /// tools/call of a long-running tool with a progress token, answered as an
  /// SSE stream: a priming event, progress notifications, then the response.
  boost::asio::awaitable<http::Response> call_tool_streaming(http::Request& request, const AccessIdentity& identity,
                                                             const RequestFacts& facts, const jsonrpc::Request& call,
                                                             const std::string& session_id,
                                                             const nlohmann::json& progress_token);
  /// Sends (when the client is still there) and keeps the event.
  boost::asio::awaitable<void> send_event(SseWriter& writer, const std::string& stream_id, std::string fields);

  http::Response initialize(http::Request& request, const AccessIdentity& identity, const RequestFacts& facts,
                            const jsonrpc::Request& call);
  bool belongs_to(const McpSession& session, const AccessIdentity& identity) const;

  McpServices& services_;
  std::mutex mutex_;
  std::map<std::string, McpSession, std::less<>> sessions_;
  /// Recent streams by id, oldest dropped first; bounded so memory stays flat.
  std::map<std::string, SentStream, std::less<>> streams_;
  std::vector<std::string> stream_order_;
};

} // namespace mcpcert::connector
