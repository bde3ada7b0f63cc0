#include "mcpcert/mock_client/target.hpp"

#include <algorithm>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_client/world.hpp"
#include "yaml_reader.hpp"

namespace mcpcert::client {

namespace {

using yaml::Reader;

std::string listen_address(const Reader& reader, const YAML::Node& node, const std::string& field) {
  const auto text = reader.scalar(node, field);
  try {
    const auto [host, port] = http::parse_listen_address(text);
    if (host != "::1" && host.rfind("127.", 0) != 0) reader.fail(node, field, "the mock backend listens on loopback only, not on " + host);
    if (port == 0) reader.fail(node, field, "needs a fixed port: the connector is configured with it once");
  } catch (const std::invalid_argument& e) {
    reader.fail(node, field, e.what());
  }
  return text;
}

std::string absolute_url(const Reader& reader, const YAML::Node& node, const std::string& field) {
  const auto text = reader.scalar(node, field);
  const auto url = http::parse_url(text);
  if (!url || (url->scheme != "http" && url->scheme != "https")) reader.fail(node, field, "must be an absolute http(s) URL, got '" + text + "'");
  return text;
}

std::filesystem::path beside(const std::filesystem::path& file, const std::string& path) {
  std::filesystem::path out = path;
  return out.is_relative() ? std::filesystem::absolute(file.parent_path() / out).lexically_normal() : out;
}

// tools: {SCENARIO_TOOL: {name: TARGET_TOOL, arguments?: {...}}}
std::map<std::string, ToolMapping> tool_mappings(const Reader& reader, const YAML::Node& node) {
  if (!node.IsMap()) reader.fail(node, "target.tools", "must map each tool a scenario calls to {name, arguments?} of the target's");
  std::map<std::string, ToolMapping> mappings;
  for (const auto& entry : node) {
    const auto tool = reader.scalar(entry.first, "target.tools");
    const auto where = "target.tools." + tool;
    if (tool.empty()) reader.fail(entry.first, "target.tools", "tool names must not be empty");
    const auto fields = reader.object(entry.second, {yaml::text("name", true), yaml::free_map("arguments")}, where);
    if (fields["name"].get<std::string>().empty()) reader.fail(entry.second["name"], where + ".name", "must name one of the target's tools");
    ToolMapping mapping{fields["name"], std::nullopt};
    if (fields.contains("arguments")) mapping.arguments = fields["arguments"];
    mappings.emplace(tool, std::move(mapping));
  }
  return mappings;
}

void read_backend(const Reader& reader, const YAML::Node& backend, BackendPlacement& placement) {
  reader.object(backend, {yaml::text("control", true), yaml::integer("key_refetch_seconds")}, "target.backend", {"tenants"});
  placement.control_listen = listen_address(reader, backend["control"], "target.backend.control");
  if (backend["key_refetch_seconds"].IsDefined()) {
    placement.key_refetch_seconds = reader.whole_number(backend["key_refetch_seconds"], "target.backend.key_refetch_seconds");
    if (placement.key_refetch_seconds < 0 || placement.key_refetch_seconds > 600) {
      reader.fail(backend["key_refetch_seconds"], "target.backend.key_refetch_seconds", "must be between 0 and 600");
    }
  }
  const auto tenants = backend["tenants"];
  if (!tenants.IsMap()) reader.fail(tenants.IsDefined() ? tenants : backend, "target.backend.tenants", "must map each tenant id to {api, issuer}");
  for (const auto& hosted : hosted_tenants()) {
    const auto where = "target.backend.tenants." + hosted.id;
    const auto node = tenants[hosted.id];
    if (!node.IsDefined()) reader.fail(tenants, where, "missing: every world hosts tenant " + hosted.id + " (" + hosted.region + ")");
    reader.object(node, {yaml::text("api", true), yaml::text("issuer", true)}, where);
    placement.tenants[hosted.id] = {listen_address(reader, node["api"], where + ".api"), listen_address(reader, node["issuer"], where + ".issuer")};
  }
  for (const auto& entry : tenants) {
    const auto id = reader.scalar(entry.first, "target.backend.tenants");
    if (!placement.tenants.contains(id)) reader.fail(entry.first, "target.backend.tenants." + id, "no world hosts a tenant of that id");
  }
}

} // namespace

std::string_view authorization_name(Authorization authorization) { return authorization == Authorization::none ? "none" : "oauth"; }

bool Target::offers(std::string_view capability) const {
  if (capability == "oauth") return authorization == Authorization::oauth;
  if (capability == "virtual_clock") return virtual_clock;
  if (capability == "log_export") return log_export;
  if (capability == "storage_dir") return !storage_dir.empty();
  if (capability == "restart_command") return !restart_command.empty();
  if (capability == "tenant_urls") return !tenant_mcp_urls.empty();
  return false;
}

Target load_target(const std::filesystem::path& file) {
  const auto root = yaml::load_file(file);
  Reader reader(file);
  if (!root.IsMap()) reader.fail(root, "", "a target is a mapping with target, mcp_url, registration, backend and capabilities");
  const auto fields = reader.object(
      root,
      {yaml::text("target", true), yaml::text("mcp_url", true), yaml::text("tls_ca_file"),
       yaml::text("authorization", false, {"oauth", "none"}, "oauth"),
       yaml::object("registration", {yaml::text("client_id", true), yaml::text("client_secret", true)}),
       yaml::object("control", {yaml::text("url", true), yaml::text("secret", true)}),
       yaml::object("capabilities", {yaml::boolean("virtual_clock"), yaml::boolean("log_export"), yaml::text("storage_dir"),
                                     yaml::text("restart_command")},
                    true)},
      "target", {"backend", "tools", "tenant_mcp_urls"});
  Target target;
  target.file = file;
  target.sha256 = hex_encode(sha256(yaml::read_bytes(file)));
  target.name = fields["target"];
  target.mcp_url = absolute_url(reader, root["mcp_url"], "target.mcp_url");
  target.authorization = fields["authorization"] == "none" ? Authorization::none : Authorization::oauth;
  if (fields.contains("tls_ca_file")) {
    target.ca_file = beside(file, fields["tls_ca_file"]).string();
    if (!std::filesystem::exists(target.ca_file)) reader.fail(root["tls_ca_file"], "target.tls_ca_file", "no such file: " + target.ca_file);
  }
  if (root["tools"].IsDefined()) target.tools = tool_mappings(reader, root["tools"]);
  if (const auto urls = root["tenant_mcp_urls"]; urls.IsDefined()) {
    if (!urls.IsMap() || urls.size() == 0) reader.fail(urls, "target.tenant_mcp_urls", "must map tenant ids to the connector's MCP URL for each");
    for (const auto& entry : urls) {
      const auto id = reader.scalar(entry.first, "target.tenant_mcp_urls");
      const bool hosted = std::any_of(hosted_tenants().begin(), hosted_tenants().end(), [&](const HostedTenant& tenant) { return tenant.id == id; });
      if (!hosted) reader.fail(entry.first, "target.tenant_mcp_urls." + id, "no world hosts a tenant of that id");
      target.tenant_mcp_urls[id] = absolute_url(reader, entry.second, "target.tenant_mcp_urls." + id);
    }
  }
  if (fields.contains("control")) {
    target.control_url = absolute_url(reader, root["control"]["url"], "target.control.url");
    target.control_secret = fields["control"]["secret"];
    if (target.control_secret.size() < 16) reader.fail(root["control"]["secret"], "target.control.secret", "must be at least 16 characters");
  }
  const auto& capabilities = fields["capabilities"];
  const auto capabilities_node = root["capabilities"];
  target.virtual_clock = capabilities.value("virtual_clock", false);
  target.log_export = capabilities.value("log_export", false);
  for (const char* needs_control : {"virtual_clock", "log_export"}) {
    if (capabilities.value(needs_control, false) && target.control_url.empty()) {
      reader.fail(capabilities_node[needs_control], std::string("target.capabilities.") + needs_control,
                  "is offered through the connector's control plane: give control: {url, secret}");
    }
  }
  if (capabilities.contains("storage_dir")) target.storage_dir = beside(file, capabilities["storage_dir"]).string();
  if (capabilities.contains("restart_command")) target.restart_command = capabilities["restart_command"];

  // Without authorization there is no issuer to register at and no tenant
  // API a tool call could reach: a client or backend given anyway would be a
  // file written for another server, so it is refused rather than ignored.
  if (target.authorization == Authorization::none) {
    for (const auto& entry : root) {
      const auto key = entry.first.as<std::string>();
      if (key == "registration" || key == "backend" || key == "tenant_mcp_urls") {
        reader.fail(entry.first, "target." + key,
                    "a target with authorization: none has no client at the mock issuers and no mock backend; remove it");
      }
    }
    return target;
  }
  if (!fields.contains("registration")) {
    reader.fail(root, "target.registration", "required field is missing (the connector's client at every mock issuer; or say authorization: none)");
  }
  target.client_id = fields["registration"]["client_id"];
  target.client_secret = fields["registration"]["client_secret"];
  if (target.client_secret.size() < 16) reader.fail(root["registration"]["client_secret"], "target.registration.client_secret", "must be at least 16 characters");
  const auto backend = root["backend"];
  if (!backend.IsDefined()) reader.fail(root, "target.backend", "required field is missing (where the world starts the mock backend)");
  read_backend(reader, backend, target.backend);
  return target;
}

} // namespace mcpcert::client
