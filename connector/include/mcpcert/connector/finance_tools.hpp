#pragma once
/// The finance tool set (EMAsphere-like tenants): what tools/list shows and
/// how a tools/call becomes upstream requests.

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/connector/upstream.hpp"

namespace mcpcert::connector {

/// The outcome of one tools/call, before it becomes a JSON-RPC reply.
struct ToolOutcome {
  enum class Kind { result, unknown_tool, invalid_arguments, permission_denied, insufficient_scope, upstream_failure };
  Kind kind = Kind::result;
  nlohmann::json result; ///< MCP CallToolResult when kind == result (isError may be true)
  std::string detail;
  std::string scope; ///< insufficient_scope: the scope the call needs (RFC 6750 3.1)
};

class FinanceTools {
public:
  /// `with_debug_tool` exists only for the extra-tool mutant (TOOLSET).
  /// `entity_from_arguments` exists only for the AUTHZ-ENTITY mutant.
  FinanceTools(TenantGateway& gateway, bool with_debug_tool, bool entity_from_arguments = false)
      : gateway_(gateway), with_debug_tool_(with_debug_tool), entity_from_arguments_(entity_from_arguments) {}

  /// MCP Tool definitions with inputSchema and outputSchema.
  nlohmann::json definitions() const;
  boost::asio::awaitable<ToolOutcome> call(const AccessIdentity& identity, const std::string& name,
                                           const nlohmann::json& arguments);

private:
  TenantGateway& gateway_;
  bool with_debug_tool_;
  bool entity_from_arguments_;
};

} // namespace mcpcert::connector
