#pragma once
/// Protocol revision 2026-07-28 on Streamable HTTP: no initialize, no session.
/// Each request carries its version, client capabilities and identity in
/// `params._meta` and mirrors its version, method and name in headers; the
/// server answers it on its own, from nothing but the request and its token.

#include <boost/asio/awaitable.hpp>

#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/mcp_services.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::connector {

class StatelessRevision {
public:
  explicit StatelessRevision(McpServices& services) : services_(services) {}

  /// One POSTed message whose MCP-Protocol-Version or _meta named 2026-07-28
  /// (and agreed, if both did). Any Mcp-Session-Id is ignored and none is sent.
  boost::asio::awaitable<http::Response> handle_post(http::Request& request, const AccessIdentity& identity,
                                                     const RequestFacts& facts, const jsonrpc::Message& message);

private:
  http::Response handle_notification(http::Request& request, const jsonrpc::Notification& notification);
  boost::asio::awaitable<http::Response> call_tool(http::Request& request, const AccessIdentity& identity,
                                                   const RequestFacts& facts, const jsonrpc::Request& call);

  McpServices& services_;
};

} // namespace mcpcert::connector
