#pragma once
/// The MCP protocol revisions the connector speaks, and how each request
/// picks one. Session revisions (2025-06-18, 2025-11-25) agree on a version
/// once, in `initialize`, and bind it to an Mcp-Session-Id. The stateless
/// revision 2026-07-28 names its version on every request, in the
/// MCP-Protocol-Version header and in `params._meta`, so the choice is made
/// per request (2026-07-28 basic/versioning, "Backward Compatibility with
/// Initialization-Based Versions": a dual-era server serves both on one endpoint).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpcert::connector {

enum class ProtocolEra {
  session,   ///< initialize handshake, Mcp-Session-Id (2025-11-25 and earlier)
  stateless, ///< per-request _meta, no handshake, no session (2026-07-28)
};

struct ProtocolRevision {
  std::string_view version;
  ProtocolEra era;
};

/// Every revision served, newest first (the order UnsupportedProtocolVersion and server/discover list them in).
std::span<const ProtocolRevision> supported_revisions();
/// nullptr when `version` is not served.
const ProtocolRevision* find_revision(std::string_view version);
/// ["2026-07-28", "2025-11-25", ...] as JSON.
nlohmann::json supported_versions();
/// What `initialize` settles on when the client asks for a version no session revision has.
std::string_view newest_session_version();

/// `_meta` keys of the stateless revision (2026-07-28 basic/index, "_meta").
namespace meta_key {
inline constexpr std::string_view protocol_version = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view client_capabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view client_info = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view server_info = "io.modelcontextprotocol/serverInfo";
} // namespace meta_key

/// Codes the MCP specification allocates from -32020..-32099 (2026-07-28 basic/index, "Error Codes").
enum class McpErrorCode : int {
  header_mismatch = -32020,
  missing_required_client_capability = -32021,
  unsupported_protocol_version = -32022,
};

/// Which handler a request goes to, or why it can go to none.
enum class RevisionChoice {
  session,             ///< no version named, or a session revision: the initialize/Mcp-Session-Id flow
  stateless,           ///< names 2026-07-28
  header_mismatch,     ///< MCP-Protocol-Version and _meta disagree, or the header is repeated
  unsupported_version, ///< names a version we don't serve
  invalid_meta,        ///< _meta or its protocolVersion has the wrong type
};

struct RevisionSelection {
  RevisionChoice choice = RevisionChoice::session;
  const ProtocolRevision* revision = nullptr; ///< when a served version was named
  std::string requested;                      ///< the version named, if any
  std::string detail;                         ///< why, when the choice is an error
};

/// Picks the revision of one request from its MCP-Protocol-Version header values and its params.
/// The header wins when both are present and agree; when they disagree the request is refused,
/// since a proxy may have routed on one while we would execute the other.
RevisionSelection select_revision(std::span<const std::string_view> version_headers, const nlohmann::json& params);

/// Why a stateless request's `_meta` is malformed (-32602, HTTP 400), or ok.
enum class MetaStatus { ok, missing_protocol_version, missing_client_capabilities, client_capabilities_not_object, client_info_malformed };

struct MetaCheck {
  MetaStatus status = MetaStatus::ok;
  std::string detail;
};

/// The per-request fields every 2026-07-28 request must carry (basic/index, "Per-request protocol fields").
MetaCheck check_request_meta(const nlohmann::json& params);

/// Why the mirrored Streamable HTTP headers don't match the body (-32020, HTTP 400), or ok.
enum class HeaderStatus {
  ok,
  missing_protocol_version,
  missing_method,
  method_mismatch,
  missing_name,
  name_mismatch,
  invalid_characters,
  repeated,
};

struct HeaderCheck {
  HeaderStatus status = HeaderStatus::ok;
  std::string detail;
};

/// The headers of one 2026-07-28 POST, each as every value received (a repeated header is refused).
struct MirroredHeaders {
  std::span<const std::string_view> protocol_version;
  std::span<const std::string_view> method;
  std::span<const std::string_view> name;
};

/// MCP-Protocol-Version present, Mcp-Method equal to `method`, and for tools/call,
/// prompts/get and resources/read an Mcp-Name equal to params.name / params.uri
/// once a `=?base64?...?=` value is decoded (2026-07-28 transports/streamable-http,
/// "Standard Request Headers", "Value Encoding", "Server Validation").
HeaderCheck check_mirrored_headers(const MirroredHeaders& headers, std::string_view method, const nlohmann::json& params);

/// A header value as its sender meant it: the Base64 sentinel decoded, a plain
/// value checked for characters RFC 9110 allows. nullopt when neither holds.
std::optional<std::string> decode_header_value(std::string_view raw);

/// Methods (and notifications) earlier revisions had and 2026-07-28 removed
/// (changelog, "Major changes" 2, 4, 5, 6 and "Minor changes" 11).
bool removed_in_stateless_revision(std::string_view method);

} // namespace mcpcert::connector
