#include "mcpcert/connector/connector_config.hpp"

#include <cctype>

#include <cstdlib>
#include <fstream>

#include "mcpcert/config.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

const std::vector<MutantInfo>& mutant_catalogue() {
  static const std::vector<MutantInfo> catalogue{
      {Mutant::permission_cache, "permission-cache", "REVOKE-ADMIN", "reuses the exchanged upstream token for its lifetime"},
      {Mutant::session_by_id_only, "session-by-id-only", "SESSION-BIND", "looks a session up by id alone"},
      {Mutant::audience_unchecked, "audience-unchecked", "MCP-AUTH-RS", "accepts tokens minted for another resource"},
      {Mutant::token_from_query, "token-from-query", "MCP-AUTH-RS", "accepts access_token from the query string"},
      {Mutant::forward_bearer, "forward-bearer", "NO-PASSTHROUGH", "sends the client's token upstream"},
      {Mutant::batch_accepted, "batch-accepted", "MCP-TRANSPORT", "answers JSON-RPC batches"},
      {Mutant::unknown_session_served, "unknown-session-served", "MCP-TRANSPORT", "serves unknown session ids"},
      {Mutant::extra_tool, "extra-tool", "TOOLSET", "exposes a debug tool"},
      {Mutant::expiry_unchecked, "expiry-unchecked", "ACCESS-TTL", "accepts expired access tokens"},
      {Mutant::tls_legacy_versions, "tls-legacy-versions", "TLS-MIN", "lets TLS 1.0 and 1.1 through"},
      {Mutant::failures_not_logged, "failures-not-logged", "LOG-COMPLETE", "logs only successful tool calls"},
      {Mutant::arguments_logged, "arguments-logged", "LOG-FIELDS", "logs tool arguments whatever the profile says"},
      {Mutant::plaintext_log, "plaintext-log", "AT-REST", "stores user ids and IPs unencrypted"},
      {Mutant::retention_unswept, "retention-unswept", "LOG-RETENTION", "never deletes old log records"},
      {Mutant::shared_log_store, "shared-log-store", "REGION-PIN", "one log store for every region"},
      {Mutant::region_fallback, "region-fallback", "REGION-PIN", "tries other regions' tenants for a call"},
      {Mutant::entity_from_arguments, "entity-from-arguments", "AUTHZ-ENTITY", "takes the entity from the tool arguments"},
      {Mutant::shared_upstream_token, "shared-upstream-token", "AUTHZ-EQUIV",
       "uses one exchanged upstream token per tenant for every user"},
      {Mutant::write_token_per_app, "write-token-per-app", "AUTHZ-WRITE",
       "writes with the last writer's upstream token for that application"},
      {Mutant::list_cache_shared, "list-cache-shared", "AUTHZ-LIST", "caches the application list per tenant"},
      {Mutant::node_result_cache_shared, "node-result-cache-shared", "AUTHZ-NOCACHE",
       "caches node results without the user in the key"},
      {Mutant::exposure_ignored, "exposure-ignored", "AUTHZ-EXPOSED", "runs application tools that are not exposed"},
      {Mutant::result_disk_cache, "result-disk-cache", "NO-COPY", "writes node results to a file beside the log"},
      {Mutant::service_account, "service-account", "NO-SERVICE-ACCOUNT",
       "calls the tenant API with the first upstream token it obtained there, whoever asks"},
      {Mutant::log_buffered, "log-buffered", "LOG-DURABLE", "acknowledges calls before their records are committed"},
      {Mutant::route_by_client_region, "route-by-client-region", "REGION-USER-AWAY",
       "sends API calls to the region named by the client's X-Client-Region header"},
      {Mutant::route_by_token_region, "route-by-token-region", "TOKEN-SCOPE",
       "sends API calls to the first configured tenant of the token's region, whichever tenant issued it"},
      {Mutant::meta_forwarded, "meta-forwarded", "NO-CONVERSATION",
       "sends the client's tools/call _meta upstream as an X-Request-Context header"},
  };
  return catalogue;
}

std::optional<Mutant> mutant_from_name(std::string_view name) {
  for (const auto& info : mutant_catalogue()) {
    if (name == info.name) return info.mutant;
  }
  return std::nullopt;
}

const char* to_string(Mutant mutant) {
  for (const auto& info : mutant_catalogue()) {
    if (info.mutant == mutant) return info.name;
  }
  return "unknown";
}

namespace {

std::string require_url(const ConfigNode& node, std::string_view field) {
  auto text = node.require_string(field);
  auto url = http::parse_url(text);
  if (!url || url->scheme != "http") node.fail(field, "must be an absolute http:// URL, got '" + text + "'");
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

bool is_loopback(const std::string& host) {
  return host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace

ConnectorConfig ConnectorConfig::load(const std::filesystem::path& file) {
  const auto document = ConfigNode::load_file(file);
  ConfigNode root(document, "", file.string());
  root.reject_unknown({"listen", "mcp_path", "client", "tool_set", "tenants", "allowed_origins", "leeway_seconds",
                       "upstream_timeout_ms", "body_limit_bytes", "tools_page_size", "sse_heartbeat_ms", "limits", "control", "log",
                       "tls"});
  ConnectorConfig config;

  const auto listen = root.require_string("listen");
  try {
    std::tie(config.listen_host, config.listen_port) = http::parse_listen_address(listen);
  } catch (const std::invalid_argument& e) {
    root.fail("listen", e.what());
  }
  if (!is_loopback(config.listen_host)) root.fail("listen", "must be a loopback address (127.0.0.0/8 or ::1)");

  config.mcp_path = root.optional_string("mcp_path", "/mcp");
  if (config.mcp_path.empty() || config.mcp_path.front() != '/') root.fail("mcp_path", "must start with '/'");

  const auto client = root.require_object("client");
  client.reject_unknown({"id", "secret"});
  config.client_id = client.require_string("id");
  config.client_secret = client.require_string("secret");
  if (config.client_secret.size() < 16) client.fail("secret", "must be at least 16 characters");

  config.tool_set = root.optional_string("tool_set", "finance");
  if (config.tool_set != "finance" && config.tool_set != "planning")
    root.fail("tool_set", "unknown tool set '" + config.tool_set + "' (known: finance, planning)");

  for (const auto& tenant : root.require_array("tenants")) {
    tenant.reject_unknown({"id", "region", "issuer", "jwks_uri", "token_endpoint", "api", "tool_set"});
    TenantRoute route;
    route.id = tenant.require_string("id");
    // The id is the last segment of the tenant's own MCP URL, <mcp_path>/<id>.
    if (route.id.empty() || !std::isalnum(static_cast<unsigned char>(route.id.front())) ||
        route.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != std::string::npos) {
      tenant.fail("id", "must start with a letter or digit and hold only letters, digits, '-', '.' and '_' "
                        "(it names the tenant's MCP URL, <mcp_path>/<id>), got '" + route.id + "'");
    }
    route.region = tenant.require_string("region");
    // The region names a store file: keep it to a safe alphabet.
    if (route.region.empty() || route.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      tenant.fail("region", "must be lower-case letters, digits and '-', e.g. eu-central-1");
    }
    route.issuer = require_url(tenant, "issuer");
    route.api = require_url(tenant, "api");
    route.tool_set = tenant.optional_string("tool_set", config.tool_set);
    if (route.tool_set != "finance" && route.tool_set != "planning")
      tenant.fail("tool_set", "unknown tool set '" + route.tool_set + "' (known: finance, planning)");
    route.jwks_uri = tenant.has("jwks_uri") ? require_url(tenant, "jwks_uri") : route.issuer + "/jwks";
    route.token_endpoint = tenant.has("token_endpoint") ? require_url(tenant, "token_endpoint") : route.issuer + "/token";
    for (const auto& known : config.tenants) {
      if (known.issuer == route.issuer) tenant.fail("issuer", "issuer already used by tenant '" + known.id + "'");
      if (known.id == route.id) tenant.fail("id", "duplicate tenant id '" + route.id + "'");
    }
    config.tenants.push_back(std::move(route));
  }
  if (config.tenants.empty()) root.fail("tenants", "at least one tenant is required");

  for (const auto& origin : root.optional_array("allowed_origins")) {
    if (!origin.value().is_string()) origin.fail("", "must be a string");
    config.allowed_origins.push_back(origin.value().get<std::string>());
  }
  config.leeway = std::chrono::seconds(root.optional_int("leeway_seconds", 30, 0, 300));
  config.upstream_timeout = std::chrono::milliseconds(root.optional_int("upstream_timeout_ms", 5000, 100, 120000));
  if (root.has("limits")) {
    const auto limits = root.require_object("limits");
    limits.reject_unknown({"requests_per_user_per_minute", "requests_per_connection_per_minute", "sessions_per_user",
                           "streams_per_session", "session_idle_seconds"});
    config.limits.requests_per_user_per_minute = static_cast<unsigned>(limits.optional_int("requests_per_user_per_minute", 0, 0, 1'000'000));
    config.limits.requests_per_connection_per_minute =
        static_cast<unsigned>(limits.optional_int("requests_per_connection_per_minute", 0, 0, 1'000'000));
    config.limits.sessions_per_user = static_cast<std::size_t>(limits.optional_int("sessions_per_user", 32, 1, 10'000));
    config.limits.streams_per_session = static_cast<std::size_t>(limits.optional_int("streams_per_session", 4, 1, 1'000));
    config.limits.session_idle = std::chrono::seconds(limits.optional_int("session_idle_seconds", 1800, 10, 7 * 24 * 3600));
  }
  if (root.has("control")) {
    const auto control = root.require_object("control");
    control.reject_unknown({"listen", "secret"});
    ControlPlaneConfig plane;
    try {
      std::tie(plane.listen_host, plane.listen_port) = http::parse_listen_address(control.require_string("listen"));
    } catch (const std::invalid_argument& e) {
      control.fail("listen", e.what());
    }
    if (!is_loopback(plane.listen_host)) control.fail("listen", "must be a loopback address (127.0.0.0/8 or ::1)");
    plane.secret = control.require_string("secret");
    if (plane.secret.size() < 16) control.fail("secret", "must be at least 16 characters");
    config.control = std::move(plane);
  }
  if (root.has("tls")) {
    const auto tls = root.require_object("tls");
    tls.reject_unknown({"enabled", "certificate_file", "key_file"});
    if (tls.optional_bool("enabled", true)) {
      if (tls.has("certificate_file") != tls.has("key_file")) {
        tls.fail(tls.has("certificate_file") ? "key_file" : "certificate_file", "give both certificate_file and key_file, or neither");
      }
      if (tls.has("certificate_file")) {
        const auto read = [&](std::string_view field) {
          std::filesystem::path path = tls.require_string(field);
          if (path.is_relative()) path = file.parent_path() / path;
          std::ifstream in(path);
          if (!in) tls.fail(field, "cannot read " + path.string());
          return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        };
        config.tls = TlsIdentity{read("certificate_file"), read("key_file")};
      } else {
        // No certificate given: a loopback one is made at start-up (the READY line carries it).
        config.tls = generate_loopback_identity();
      }
    }
  }
  if (root.has("log")) {
    const auto log = root.require_object("log");
    log.reject_unknown({"dir", "key_file", "key_env", "retention_days", "retention_mode", "pseudonym_key_file",
                        "pseudonym_key_env", "max_store_bytes", "fields"});
    OperationalLogConfig log_config;
    std::filesystem::path dir = log.require_string("dir");
    if (dir.is_relative()) dir = file.parent_path() / dir;
    log_config.directory = dir;
    // A secret comes from a file or an environment variable, never both, never the config itself.
    const auto secret_source = [&](const char* file_field, const char* env_field) {
      if (log.has(file_field) == log.has(env_field)) log.fail(file_field, std::string("give either ") + file_field + " or " + env_field);
      if (log.has(file_field)) {
        std::filesystem::path path = log.require_string(file_field);
        return std::pair{path.is_relative() ? file.parent_path() / path : path, std::string{}};
      }
      const auto variable = log.require_string(env_field);
      const char* value = std::getenv(variable.c_str());
      if (value == nullptr || *value == '\0') log.fail(env_field, "environment variable " + variable + " is not set");
      return std::pair{std::filesystem::path{}, std::string(value)};
    };
    if (const auto [key_file, key_text] = secret_source("key_file", "key_env"); !key_file.empty()) {
      OperationalLogConfig::load_keys(key_file, log_config);
    } else {
      OperationalLogConfig::load_keys_text(key_text, file.string() + ": log.key_env", log_config);
    }
    const auto mode = log.optional_string("retention_mode", "delete");
    if (mode == "pseudonymise") {
      log_config.retention_mode = RetentionMode::pseudonymise;
      auto [key_file, key_text] = secret_source("pseudonym_key_file", "pseudonym_key_env");
      const char* field = key_file.empty() ? "pseudonym_key_env" : "pseudonym_key_file";
      if (!key_file.empty()) {
        std::ifstream in(key_file);
        if (!in) log.fail(field, "cannot read " + key_file.string());
        key_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      auto key = OperationalLogConfig::parse_hex_key(key_text);
      if (!key) log.fail(field, "must hold 64 hex characters (a 256-bit key)");
      for (const auto& [id, encryption_key] : log_config.keys) {
        if (encryption_key.bytes() == *key) log.fail(field, "must differ from the encryption key '" + id + "'");
      }
      log_config.pseudonym_key = std::move(*key);
    } else if (mode != "delete") {
      log.fail("retention_mode", "must be delete or pseudonymise, got '" + mode + "'");
    } else if (log.has("pseudonym_key_file") || log.has("pseudonym_key_env")) {
      log.fail("retention_mode", "a pseudonym key is given but retention_mode is delete");
    }
    log_config.max_store_bytes = log.optional_int("max_store_bytes", 0, 0, std::int64_t{1} << 50);
    if (log_config.max_store_bytes != 0 && log_config.max_store_bytes < 64 * 1024) {
      log.fail("max_store_bytes", "must be 0 (no bound) or at least 65536");
    }
    log_config.retention = std::chrono::seconds(log.optional_int("retention_days", 90, 1, 3650) * 24 * 3600);
    for (const auto& field : log.optional_array("fields")) {
      if (!field.value().is_string() || field.value().get<std::string>() != "arguments") {
        field.fail("", "unknown optional log field (known: arguments)");
      }
      log_config.optional_fields.insert(OptionalLogField::arguments);
    }
    config.log = std::move(log_config);
  }
  config.body_limit = static_cast<std::size_t>(root.optional_int("body_limit_bytes", 256 * 1024, 1024, 64 * 1024 * 1024));
  config.tools_page_size = static_cast<std::size_t>(root.optional_int("tools_page_size", 100, 1, 1000));
  config.sse_heartbeat = std::chrono::milliseconds(root.optional_int("sse_heartbeat_ms", 15'000, 0, 300'000));
  if (config.sse_heartbeat.count() != 0 && config.sse_heartbeat.count() < 10) root.fail("sse_heartbeat_ms", "must be 0 (none) or at least 10");
  return config;
}

} // namespace mcpcert::connector
