#include "mcpcert/mock_backend/backend_config.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>

#include "mcpcert/config.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::backend {
namespace {

constexpr std::size_t min_control_secret_length = 16;
constexpr std::int64_t ten_years = 10LL * 366 * 24 * 3600;

// The backend plays a tenant for a test harness; it must never be reachable
// from another machine.
ListenAddress require_loopback(const ConfigNode& node, std::string_view field) {
  auto text = node.require_string(field);
  std::pair<std::string, std::uint16_t> parsed;
  try {
    parsed = http::parse_listen_address(text);
  } catch (const std::invalid_argument& e) {
    node.fail(field, e.what());
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(parsed.first, ec);
  if (ec || !address.is_loopback())
    node.fail(field, "must be a loopback IP address (127.0.0.0/8 or ::1), not " + parsed.first);
  return {parsed.first, parsed.second};
}

// Certificates an https document host may chain to, besides the machine's
// store: a loopback host's own, or a private CA's. Read once, at start-up.
std::shared_ptr<const http::TlsTrust> read_document_trust(const ConfigNode& node, std::string_view field,
                                                          const std::filesystem::path& base) {
  std::filesystem::path path = node.require_string(field);
  if (path.empty()) node.fail(field, "must not be empty");
  if (!path.is_absolute()) path = base / path;
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path, ec) || !in) node.fail(field, "cannot read " + path.string());
  const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) node.fail(field, "cannot read " + path.string());
  try {
    return http::TlsTrust::make({pem}, true);
  } catch (const std::invalid_argument&) {
    node.fail(field, path.string() + " holds no readable PEM certificate");
  }
}

// Rounded to the nearest second, never below one: a lifetime of 0 would mean "already expired".
Seconds scaled(Seconds lifetime, double scale) {
  auto value = static_cast<std::int64_t>(static_cast<double>(lifetime.count()) * scale + 0.5);
  return Seconds(std::max<std::int64_t>(value, 1));
}

void scale_lifetimes(TenantConfig& tenant, double scale) {
  auto& l = tenant.lifetimes;
  // Not the sign-in page's lifetime (a person fills it in) nor the exchanged
  // tokens' cap (they never outlive their scaled subject token anyway).
  for (Seconds* lifetime : {&l.access, &l.refresh, &l.code}) *lifetime = scaled(*lifetime, scale);
  if (l.refresh_family) l.refresh_family = scaled(*l.refresh_family, scale);
  // A grace of 0 stays 0 (strictly one-time).
  if (tenant.policy.refresh_grace > Seconds(0)) tenant.policy.refresh_grace = scaled(tenant.policy.refresh_grace, scale);
}

bool valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// host[:port] as a client ID metadata document's URL names it. The port is
// read here because parse_url wraps one beyond 65535.
bool valid_document_host(const std::string& entry) {
  auto url = http::parse_url("https://" + entry);
  if (!url || url->target != "/" || entry.find_first_of("/@?#") != std::string::npos) return false;
  auto colon = entry.rfind(':');
  auto bracket = entry.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) return true;
  auto port = entry.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  auto value = std::stoul(port);
  return value >= 1 && value <= 65535;
}

} // namespace

BackendConfig parse_backend_config(const nlohmann::json& document, const std::filesystem::path& file) {
  ConfigNode root(document, "", file.string());
  root.reject_unknown({"simulation", "control", "state_dir", "lifetime_scale", "tenants"});
  BackendConfig config;
  config.simulation = root.optional_bool("simulation", false);
  // Scaled time, for targets whose clock can't be moved: every lifetime times this factor.
  double scale = 1.0;
  if (root.has("lifetime_scale")) {
    const auto& value = root.value()["lifetime_scale"];
    if (!value.is_number() || value.get<double>() <= 0.0 || value.get<double>() > 1.0)
      root.fail("lifetime_scale", "must be a number greater than 0 and at most 1");
    scale = value.get<double>();
    config.lifetime_scale = scale;
  }
  if (root.has("state_dir")) {
    std::filesystem::path dir = root.require_string("state_dir");
    if (dir.empty()) root.fail("state_dir", "must not be empty");
    if (!dir.is_absolute()) dir = file.parent_path() / dir;
    config.state_dir = std::filesystem::absolute(dir).lexically_normal();
  }

  if (root.has("control")) {
    if (!config.simulation) root.fail("control", "is only allowed with \"simulation\": true");
    auto node = root.require_object("control");
    node.reject_unknown({"listen", "secret"});
    ControlConfig control;
    control.listen = require_loopback(node, "listen");
    control.secret = node.require_string("secret");
    if (control.secret.size() < min_control_secret_length)
      node.fail("secret", "must be at least " + std::to_string(min_control_secret_length) + " characters");
    config.control = std::move(control);
  } else if (config.simulation) {
    root.fail("control", "is required when \"simulation\" is true");
  }

  auto tenants = root.require_array("tenants");
  if (tenants.empty()) root.fail("tenants", "needs at least one tenant");
  std::set<std::string, std::less<>> ids;
  for (const auto& node : tenants) {
    node.reject_unknown({"id", "region", "fixture", "api_listen", "issuer_listen", "access_token_ttl_seconds",
                         "refresh_token_ttl_seconds", "code_ttl_seconds", "refresh_family_lifetime_seconds",
                         "api_rate_limit_per_minute",
                         "refresh_grace_seconds", "pkce_plain_allowed", "refresh_requires_offline_access",
                         "resources", "client_metadata_document_hosts", "client_metadata_document_ca_file"});
    TenantConfig tenant;
    tenant.id = node.require_string("id");
    if (!valid_tenant_id(tenant.id)) node.fail("id", "must be 1-64 characters of a-z, 0-9, '-' and '_'");
    if (!ids.insert(tenant.id).second) node.fail("id", "duplicate tenant " + tenant.id);
    tenant.region = node.require_string("region");
    if (tenant.region.empty()) node.fail("region", "must not be empty");
    std::filesystem::path fixture = node.require_string("fixture");
    if (fixture.empty()) node.fail("fixture", "must not be empty");
    tenant.fixture = fixture.is_absolute() ? fixture : file.parent_path() / fixture;
    tenant.fixture = std::filesystem::absolute(tenant.fixture).lexically_normal();
    tenant.api_listen = require_loopback(node, "api_listen");
    tenant.issuer_listen = require_loopback(node, "issuer_listen");
    tenant.lifetimes.access = Seconds(node.optional_int("access_token_ttl_seconds", 3600, 1, ten_years));
    tenant.lifetimes.refresh = Seconds(node.optional_int("refresh_token_ttl_seconds", 2'592'000, 1, ten_years));
    tenant.lifetimes.code = Seconds(node.optional_int("code_ttl_seconds", 60, 1, 3600));
    tenant.api_rate_limit_per_minute =
        static_cast<int>(node.optional_int("api_rate_limit_per_minute", 0, 0, 1'000'000));
    if (node.has("refresh_family_lifetime_seconds"))
      tenant.lifetimes.refresh_family = Seconds(node.optional_int("refresh_family_lifetime_seconds", 0, 1, ten_years));
    tenant.policy.refresh_grace = Seconds(node.optional_int("refresh_grace_seconds", 0, 0, ten_years));
    tenant.policy.allow_plain_pkce = node.optional_bool("pkce_plain_allowed", false);
    tenant.policy.refresh_requires_offline_access = node.optional_bool("refresh_requires_offline_access", false);
    for (const auto& host_node : node.optional_array("client_metadata_document_hosts")) {
      const auto& host = host_node.value();
      if (!host.is_string() || !valid_document_host(host.get<std::string>()))
        host_node.fail("", "must be a host or host:port (IPv6 in brackets), no scheme or path");
      tenant.policy.client_document_hosts.push_back(host.get<std::string>());
    }
    if (node.has("client_metadata_document_ca_file")) {
      if (tenant.policy.client_document_hosts.empty())
        node.fail("client_metadata_document_ca_file", "is only used with client_metadata_document_hosts, which is empty");
      tenant.policy.client_document_trust =
          read_document_trust(node, "client_metadata_document_ca_file", file.parent_path());
    }
    if (scale != 1.0) scale_lifetimes(tenant, scale);
    for (const auto& resource_node : node.optional_array("resources")) {
      resource_node.reject_unknown({"resource", "client_id"});
      ResourceRegistration registration{resource_node.require_string("resource"),
                                        resource_node.require_string("client_id")};
      auto url = http::parse_url(registration.resource);
      if (!url || registration.resource.find('#') != std::string::npos)
        resource_node.fail("resource", "must be an absolute http(s) URL without fragment");
      tenant.resources.push_back(std::move(registration));
    }
    config.tenants.push_back(std::move(tenant));
  }
  return config;
}

BackendConfig load_backend_config(const std::filesystem::path& file) {
  auto document = ConfigNode::load_file(file);
  return parse_backend_config(document, file);
}

} // namespace mcpcert::backend
