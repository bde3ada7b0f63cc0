#include "mcpcert/connector/protocol_revision.hpp"

#include <algorithm>
#include <array>

#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {

namespace {

constexpr std::array revisions{
    ProtocolRevision{"2026-07-28", ProtocolEra::stateless},
    ProtocolRevision{"2025-11-25", ProtocolEra::session},
    ProtocolRevision{"2025-06-18", ProtocolEra::session},
};

constexpr std::array removed_methods{
    std::string_view{"initialize"},
    std::string_view{"notifications/initialized"},
    std::string_view{"ping"},
    std::string_view{"logging/setLevel"},
    std::string_view{"notifications/roots/list_changed"},
    std::string_view{"resources/subscribe"},
    std::string_view{"resources/unsubscribe"},
    std::string_view{"notifications/elicitation/complete"},
    std::string_view{"tasks/result"},
    std::string_view{"tasks/list"},
};

constexpr std::string_view base64_prefix = "=?base64?";
constexpr std::string_view base64_suffix = "?=";

const nlohmann::json* meta_of(const nlohmann::json& params) {
  if (!params.is_object()) return nullptr;
  auto meta = params.find("_meta");
  return meta == params.end() ? nullptr : &*meta;
}

// RFC 9110 section 5.5: visible ASCII, space and horizontal tab.
bool plain_header_text(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte <= 0x7e);
  });
}

HeaderCheck header_failure(HeaderStatus status, std::string detail) { return {status, std::move(detail)}; }

} // namespace

std::span<const ProtocolRevision> supported_revisions() { return revisions; }

const ProtocolRevision* find_revision(std::string_view version) {
  auto found = std::find_if(revisions.begin(), revisions.end(), [&](const auto& r) { return r.version == version; });
  return found == revisions.end() ? nullptr : &*found;
}

nlohmann::json supported_versions() {
  auto versions = nlohmann::json::array();
  for (const auto& revision : revisions) versions.push_back(revision.version);
  return versions;
}

std::string_view newest_session_version() {
  for (const auto& revision : revisions) {
    if (revision.era == ProtocolEra::session) return revision.version;
  }
  return {};
}

RevisionSelection select_revision(std::span<const std::string_view> version_headers, const nlohmann::json& params) {
  RevisionSelection selection;
  if (version_headers.size() > 1) {
    selection.choice = RevisionChoice::header_mismatch;
    selection.detail = "Header mismatch: MCP-Protocol-Version is repeated";
    return selection;
  }
  std::optional<std::string> from_header;
  if (!version_headers.empty()) from_header = std::string(version_headers.front());

  std::optional<std::string> from_meta;
  if (const auto* meta = meta_of(params); meta != nullptr) {
    if (!meta->is_object()) {
      selection.choice = RevisionChoice::invalid_meta;
      selection.detail = "params._meta must be an object";
      return selection;
    }
    if (auto version = meta->find(meta_key::protocol_version); version != meta->end()) {
      if (!version->is_string()) {
        selection.choice = RevisionChoice::invalid_meta;
        selection.detail = "_meta " + std::string(meta_key::protocol_version) + " must be a string";
        return selection;
      }
      from_meta = version->get<std::string>();
    }
  }

  if (from_header && from_meta && *from_header != *from_meta) {
    selection.choice = RevisionChoice::header_mismatch;
    selection.detail = "Header mismatch: MCP-Protocol-Version header value '" + *from_header + "' does not match body value '" +
                       *from_meta + "'";
    return selection;
  }
  // Neither names a version: a session client (its initialize, or a pre-2025-06-18 client).
  if (!from_header && !from_meta) return selection;

  selection.requested = from_header ? *from_header : *from_meta;
  selection.revision = find_revision(selection.requested);
  if (selection.revision == nullptr) {
    selection.choice = RevisionChoice::unsupported_version;
    selection.detail = "Unsupported protocol version";
    return selection;
  }
  selection.choice = selection.revision->era == ProtocolEra::stateless ? RevisionChoice::stateless : RevisionChoice::session;
  return selection;
}

MetaCheck check_request_meta(const nlohmann::json& params) {
  const auto* meta = meta_of(params);
  if (meta == nullptr || !meta->is_object() || !meta->contains(meta_key::protocol_version)) {
    return {MetaStatus::missing_protocol_version,
            "Invalid params: _meta " + std::string(meta_key::protocol_version) + " is required"};
  }
  auto capabilities = meta->find(meta_key::client_capabilities);
  if (capabilities == meta->end()) {
    return {MetaStatus::missing_client_capabilities,
            "Invalid params: _meta " + std::string(meta_key::client_capabilities) + " is required"};
  }
  if (!capabilities->is_object()) {
    return {MetaStatus::client_capabilities_not_object,
            "Invalid params: _meta " + std::string(meta_key::client_capabilities) + " must be an object"};
  }
  // Optional and self-reported (never used for a decision), but a present value must at least be an object.
  if (auto info = meta->find(meta_key::client_info); info != meta->end() && !info->is_object()) {
    return {MetaStatus::client_info_malformed, "Invalid params: _meta " + std::string(meta_key::client_info) + " must be an object"};
  }
  return {};
}

std::optional<std::string> decode_header_value(std::string_view raw) {
  if (raw.size() >= base64_prefix.size() + base64_suffix.size() && raw.starts_with(base64_prefix) && raw.ends_with(base64_suffix)) {
    std::string encoded(raw.substr(base64_prefix.size(), raw.size() - base64_prefix.size() - base64_suffix.size()));
    // Some encoders drop the padding; the value is the same.
    while (encoded.size() % 4 != 0) encoded.push_back('=');
    return base64_decode(encoded);
  }
  if (!plain_header_text(raw)) return std::nullopt;
  return std::string(raw);
}

HeaderCheck check_mirrored_headers(const MirroredHeaders& headers, std::string_view method, const nlohmann::json& params) {
  if (headers.protocol_version.empty()) {
    return header_failure(HeaderStatus::missing_protocol_version, "Header mismatch: MCP-Protocol-Version header is required");
  }
  if (headers.method.size() > 1) return header_failure(HeaderStatus::repeated, "Header mismatch: Mcp-Method is repeated");
  if (headers.method.empty()) return header_failure(HeaderStatus::missing_method, "Header mismatch: Mcp-Method header is required");
  if (!plain_header_text(headers.method.front())) {
    return header_failure(HeaderStatus::invalid_characters, "Header mismatch: Mcp-Method contains invalid characters");
  }
  if (headers.method.front() != method) {
    return header_failure(HeaderStatus::method_mismatch, "Header mismatch: Mcp-Method header value '" +
                                                              std::string(headers.method.front()) +
                                                              "' does not match body value '" + std::string(method) + "'");
  }

  const char* name_field = nullptr;
  if (method == "tools/call" || method == "prompts/get") name_field = "name";
  if (method == "resources/read") name_field = "uri";
  if (name_field == nullptr) return {};

  if (headers.name.size() > 1) return header_failure(HeaderStatus::repeated, "Header mismatch: Mcp-Name is repeated");
  if (headers.name.empty()) {
    return header_failure(HeaderStatus::missing_name, "Header mismatch: Mcp-Name header is required for " + std::string(method));
  }
  auto decoded = decode_header_value(headers.name.front());
  if (!decoded) return header_failure(HeaderStatus::invalid_characters, "Header mismatch: Mcp-Name is not valid header text or Base64");
  // A body without the field is the method's own invalid-params error, not a header problem.
  if (!params.is_object() || !params.contains(name_field) || !params[name_field].is_string()) return {};
  const auto body_value = params[name_field].get<std::string>();
  if (*decoded != body_value) {
    return header_failure(HeaderStatus::name_mismatch, "Header mismatch: Mcp-Name header value '" + *decoded +
                                                           "' does not match body value '" + body_value + "'");
  }
  return {};
}

bool removed_in_stateless_revision(std::string_view method) {
  return std::find(removed_methods.begin(), removed_methods.end(), method) != removed_methods.end();
}

} // namespace mcpcert::connector
