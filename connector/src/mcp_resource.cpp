#include "mcpcert/connector/mcp_resource.hpp"

namespace mcpcert::connector {

std::vector<McpResource> mcp_resources(const ConnectorConfig& config, const std::string& base_url) {
  // RFC 9728 section 3.1: the metadata of a resource with a path lives at the
  // well-known prefix followed by that path.
  const auto resource = [&](const std::string& path, const TenantRoute* tenant) {
    const auto metadata_path = "/.well-known/oauth-protected-resource" + path;
    return McpResource{path, base_url + path, metadata_path, base_url + metadata_path, tenant};
  };
  std::vector<McpResource> resources;
  resources.reserve(config.tenants.size() + 1);
  resources.push_back(resource(config.mcp_path, nullptr));
  // A trailing slash on mcp_path would give "//tenant"; config refuses none, so keep one.
  const std::string prefix = config.mcp_path.ends_with('/') ? config.mcp_path : config.mcp_path + "/";
  for (const auto& tenant : config.tenants) resources.push_back(resource(prefix + tenant.id, &tenant));
  return resources;
}

} // namespace mcpcert::connector
