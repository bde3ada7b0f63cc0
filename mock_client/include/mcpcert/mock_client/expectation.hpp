#pragma once
/// What a scenario expects of an HTTP reply (`expect:` of raw_request and
/// call_tool): status, headers, JSON members by pointer, a JSON-RPC error code
/// and WWW-Authenticate parameters; and the ${name} placeholders scenarios use
/// for values only known once a world runs (its URLs).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"

namespace mcpcert::client {

/// Placeholder name -> value, e.g. "mcp_url" -> "http://127.0.0.1:4100/mcp".
using Placeholders = std::map<std::string, std::string, std::less<>>;

/// The placeholder names a scenario may use: mcp_url (the scenario's MCP URL),
/// shared_mcp_url, mcp_metadata_url, mcp_origin, issuer, api, tenant,
/// decoy_resource, client_metadata_document.
const std::set<std::string, std::less<>>& placeholder_names();

/// The tenant id of a ${tenant_mcp_url:ID} placeholder (that tenant's own MCP URL); nullopt for any other name.
std::optional<std::string> tenant_url_placeholder(std::string_view name);

/// A placeholder that names an identity's value, e.g. ${sub:alice} or ${refresh_token:alice}.
struct IdentityPlaceholder {
  std::string what;     ///< sub, access_token, refresh_token or code
  std::string identity; ///< the name an authorize step gave
};
/// The kinds of identity placeholder: sub, access_token, refresh_token, code.
const std::set<std::string, std::less<>>& identity_placeholder_kinds();
/// Splits "what:identity"; nullopt when the name has no ':' or an unknown kind.
std::optional<IdentityPlaceholder> parse_identity_placeholder(std::string_view name);

/// Replaces every ${name} with its value; unknown names are left as written.
std::string substitute(std::string_view text, const Placeholders& values);
/// The same for every string (not keys) inside a JSON value.
nlohmann::json substitute_json(const nlohmann::json& value, const Placeholders& values);
/// The ${name} references of a text, in order.
std::vector<std::string> placeholder_references(std::string_view text);

/// The JSON a reply carries: its body, or for an SSE stream the data of its
/// last event that is JSON; a discarded value otherwise.
nlohmann::json reply_json(const HttpReply& reply);

/// Checks `reply` (and `message`, the JSON it carried) against an `expect`
/// mapping as the scenario loader validated it; returns one sentence per
/// expectation that did not hold (empty: all held). Fields it does not know
/// (e.g. call_tool's `outcome`) are left to the caller.
std::vector<std::string> check_reply(const nlohmann::json& expect, const HttpReply& reply, const nlohmann::json& message,
                                     const Placeholders& values);

} // namespace mcpcert::client
