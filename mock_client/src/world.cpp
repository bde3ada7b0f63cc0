#include "mcpcert/mock_client/world.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/totp.hpp"

#ifndef MCPCERT_BACKEND_BIN
#define MCPCERT_BACKEND_BIN ""
#endif
#ifndef MCPCERT_CONNECTOR_BIN
#define MCPCERT_CONNECTOR_BIN ""
#endif
#ifndef MCPCERT_SOURCE_DIR
#define MCPCERT_SOURCE_DIR ""
#endif

namespace mcpcert::client {

namespace {

std::filesystem::path from_env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::filesystem::path(value) : std::filesystem::path(fallback);
}


const char* connector_client_id = "mcpcert-connector";
// The decoy resource's client: a confidential client like the connector, never started.
const char* decoy_client_id = "mcpcert-decoy-connector";

bool write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  return static_cast<bool>(out.flush());
}

std::string tail_of(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

// Worlds of an external connector reuse its fixed backend ports, one after
// another; the end of the last one is when the connector last fetched keys.
std::mutex external_world_mutex;
std::chrono::steady_clock::time_point last_external_world_end{};

// The connector refetches an issuer's JWKS for an unknown key at most every
// `seconds`, and each world's issuers sign with new keys.
void wait_for_key_refetch(std::int64_t seconds) {
  std::lock_guard lock(external_world_mutex);
  const auto ready = last_external_world_end + std::chrono::seconds(seconds);
  if (last_external_world_end != std::chrono::steady_clock::time_point{}) std::this_thread::sleep_until(ready);
}

} // namespace

// The tenants every world hosts; each has a fixture of the same name.
const std::vector<HostedTenant>& hosted_tenants() {
  static const std::vector<HostedTenant> tenants{
      {"emea-finance", "eu-central-1"},
      {"us-finance", "us-east-1"},
      // Customer-hosted: the customer's own cloud account and region.
      {"customer-finance", "azure-westeurope"},
      // A planning tenant (Pyplan-like): the connector serves it the planning tool set.
      {"us-planning", "us-east-1", "planning"},
  };
  return tenants;
}

Installation Installation::detect() {
  return {from_env("MCPCERT_BACKEND_BIN", MCPCERT_BACKEND_BIN), from_env("MCPCERT_CONNECTOR_BIN", MCPCERT_CONNECTOR_BIN),
          from_env("MCPCERT_SOURCE_DIR", MCPCERT_SOURCE_DIR)};
}

std::unique_ptr<World> World::start(const WorldOptions& options, std::string& error) {
  std::unique_ptr<World> world(new World());
  if (!world->launch(options, error)) return nullptr;
  return world;
}

World::~World() {
  if (connector_) connector_->terminate();
  if (backend_) backend_->terminate();
  if (target_) {
    // The connector's clock only moves forward; the next world's issuers start at the machine's time again.
    if (advanced_seconds_ > 0 && !target_->restart_command.empty()) run_restart_command(false);
    std::lock_guard lock(external_world_mutex);
    last_external_world_end = std::chrono::steady_clock::now();
  }
  if (remove_directory_ && !directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::optional<TenantInfo> World::tenant(const std::string& id) const {
  auto it = tenants_.find(id);
  if (it == tenants_.end()) return std::nullopt;
  return it->second;
}

namespace {

HttpReply control_call(HttpAgent& agent, const std::string& base_url, const std::string& secret, const std::string& method,
                       const std::string& path, const nlohmann::json& body) {
  HttpCall call{method, base_url + path, {{"Authorization", "Bearer " + secret}, {"Accept", "application/json"}}, ""};
  if (!body.is_null()) {
    call.headers.emplace_back("Content-Type", "application/json");
    call.body = body.dump();
  }
  return agent.send(call);
}

std::string failure_of(const char* what, const HttpReply& reply) {
  if (reply.status == 0) return std::string(what) + ": no response (" + reply.transport_error + ")";
  return std::string(what) + ": HTTP " + std::to_string(reply.status) + " " + reply.body.substr(0, 300);
}

} // namespace

HttpReply World::control(HttpAgent& agent, const std::string& method, const std::string& path, const nlohmann::json& body) {
  return control_call(agent, control_url_, control_secret_, method, path, body);
}

HttpReply World::connector_control(HttpAgent& agent, const std::string& method, const std::string& path, const nlohmann::json& body) {
  if (connector_control_url_.empty()) {
    HttpReply none;
    none.transport_error = "the connector offers no control plane";
    return none;
  }
  return control_call(agent, connector_control_url_, control_secret_, method, path, body);
}

ConnectorLogExport World::connector_log(HttpAgent& agent) {
  ConnectorLogExport out;
  if (connector_control_url_.empty()) {
    out.problem = "the connector offers no control plane (no \"control\" in its READY line), so its operational log cannot be read";
    out.unsupported = true;
    return out;
  }
  auto reply = connector_control(agent, "GET", "/control/log?since_seq=0");
  if (reply.status == 404) {
    out.problem = "the connector's control plane has no /control/log, so its operational log cannot be read";
    out.unsupported = true;
    return out;
  }
  auto body = reply.json();
  if (reply.status != 200 || !body.is_object() || !body.contains("records") || !body["records"].is_array()) {
    out.problem = failure_of("reading the connector's operational log", reply);
    return out;
  }
  out.records = std::move(body["records"]);
  if (body.contains("directory") && body["directory"].is_string()) out.directory = body["directory"];
  return out;
}

std::string World::advance_clock(HttpAgent& agent, std::int64_t seconds) {
  if (connector_control_url_.empty()) return "the connector offers no control plane, so its clock cannot be moved";
  auto backend = control(agent, "POST", "/control/clock/advance", {{"seconds", seconds}});
  if (backend.status != 200) return failure_of("advancing the backend's clock", backend);
  auto connector = connector_control(agent, "POST", "/control/clock/advance", {{"seconds", seconds}});
  if (connector.status != 200) return failure_of("advancing the connector's clock", connector);
  advanced_seconds_ += seconds;
  return {};
}

nlohmann::json World::describe() const {
  nlohmann::json tenants = nlohmann::json::object();
  for (const auto& [id, tenant] : tenants_) {
    tenants[id] = {{"region", tenant.region}, {"issuer", tenant.issuer}, {"api", tenant.api}};
  }
  nlohmann::json out = {{"mcp_url", mcp_url_}, {"backend_control", control_url_}, {"tenants", tenants}};
  if (!connector_control_url_.empty()) out["connector_control"] = connector_control_url_;
  out["decoy_resource"] = decoy_resource_url;
  return out;
}

std::vector<TestUser> World::users(const std::string& tenant_id) {
  Transcript scratch;
  HttpAgent agent(scratch);
  auto reply = control(agent, "GET", "/control/tenants/" + tenant_id + "/users");
  std::vector<TestUser> users;
  auto json = reply.json();
  if (reply.status != 200 || !json.is_object() || !json.contains("users")) return users;
  for (const auto& user : json["users"]) {
    users.push_back({user.value("username", ""), user.value("password", ""), user.value("id", ""),
                     user.contains("roles") && user["roles"].is_array() ? user["roles"] : nlohmann::json::array(),
                     user.value("totp_secret", ""), user.value("sso_subject", ""), user.value("sso_password", "")});
  }
  return users;
}

std::string World::one_time_code(const TestUser& user) {
  const auto key = base32_decode(user.totp_secret);
  if (!key) return {};
  auto step = totp_step(std::chrono::system_clock::now() + std::chrono::seconds(advanced_seconds_));
  auto [last, fresh] = last_totp_step_.emplace(user.user_id, step);
  if (!fresh) {
    step = std::max(step, last->second + 1);
    last->second = step;
  }
  return hotp(*key, step);
}

bool World::start_connector(std::string& error) {
  const auto config_file = directory_ / "connector.json";
  if (!write_file(config_file, connector_config_.dump(2))) {
    error = "cannot write " + config_file.string();
    return false;
  }
  std::vector<std::string> args{"--config", config_file.string()};
  args.insert(args.end(), connector_mutants_.begin(), connector_mutants_.end());
  std::vector<std::string> env;
  if (!connector_mutants_.empty()) env.emplace_back("MCPCERT_ALLOW_MUTANTS=1");
  const auto connector_log = directory_ / "connector.log";
  auto connector = ChildProcess::spawn(connector_binary_, args, connector_log, env);
  if (!connector) {
    error = "cannot start the connector: " + connector.error().message();
    return false;
  }
  connector_.emplace(std::move(*connector));
  const auto ready = connector_->wait_ready(start_timeout_);
  if (!ready) {
    error = "the connector did not become ready; its log says:\n" + tail_of(connector_log);
    return false;
  }
  auto endpoints = nlohmann::json::parse(*ready, nullptr, false);
  if (!endpoints.is_object() || !endpoints.contains("mcp") || !endpoints["mcp"].is_string()) {
    error = "the connector's READY line is malformed: " + *ready;
    return false;
  }
  mcp_url_ = endpoints["mcp"];
  if (endpoints.contains("certificate_pem") && endpoints["certificate_pem"].is_string()) {
    // Rewritten in place on a restart: agents read the file on every request.
    trusted_certificate_file_ = (directory_ / "connector-certificate.pem").string();
    if (!write_file(trusted_certificate_file_, endpoints["certificate_pem"].get<std::string>())) {
      error = "cannot write " + trusted_certificate_file_;
      return false;
    }
  }
  connector_control_url_.clear();
  if (endpoints.contains("control") && endpoints["control"].is_string()) connector_control_url_ = endpoints["control"];
  return true;
}

std::string World::run_restart_command(bool crash) {
  if (target_->restart_command.empty()) return "the target offers no restart_command, so its connector cannot be restarted";
  auto command = ChildProcess::spawn("/bin/sh", {"-c", target_->restart_command}, directory_ / "restart-command.log",
                                     {std::string("MCPCERT_RESTART_HOW=") + (crash ? "crash" : "stop")});
  if (!command) return "cannot run the restart_command: " + command.error().message();
  const auto status = command->wait_exit(start_timeout_);
  if (!status) {
    command->kill();
    return "the restart_command did not finish within " + std::to_string(start_timeout_.count()) + " ms";
  }
  if (*status != 0) return "the restart_command exited with " + std::to_string(*status) + ": " + tail_of(directory_ / "restart-command.log");
  // Back when its MCP URL answers at all (a 401 without a token is an answer).
  Transcript scratch;
  HttpAgent probe(scratch, trusted_certificate_file_);
  const auto deadline = std::chrono::steady_clock::now() + start_timeout_;
  while (probe.send({"GET", mcp_url_, {}, ""}).status == 0) {
    if (std::chrono::steady_clock::now() > deadline) return "the connector did not answer at " + mcp_url_ + " after the restart_command";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

std::string World::restart_connector(HttpAgent& agent, bool crash) {
  if (target_) {
    if (auto problem = run_restart_command(crash); !problem.empty()) return problem;
    if (advanced_seconds_ > 0 && target_->virtual_clock) {
      auto reply = connector_control(agent, "POST", "/control/clock/advance", {{"seconds", advanced_seconds_}});
      if (reply.status != 200) return failure_of("moving the restarted connector's clock to the world's time", reply);
    }
    return {};
  }
  if (!connector_) return "the connector is not running";
  if (crash) connector_->kill();
  else connector_->terminate();
  connector_.reset();
  // The same ports again: tokens name the MCP URL as their audience, and the issuers know it as the resource.
  const auto previous_mcp_url = mcp_url_;
  const auto mcp = http::parse_url(mcp_url_);
  if (!mcp) return "the MCP URL '" + mcp_url_ + "' does not parse";
  connector_config_["listen"] = mcp->host + ":" + std::to_string(mcp->port);
  if (auto control_plane = http::parse_url(connector_control_url_); control_plane && connector_config_.contains("control")) {
    connector_config_["control"]["listen"] = control_plane->host + ":" + std::to_string(control_plane->port);
  }
  std::string error;
  if (!start_connector(error)) return "restarting the connector failed: " + error;
  if (mcp_url_ != previous_mcp_url) return "the connector came back at " + mcp_url_ + ", not at " + previous_mcp_url;
  // A new process starts its virtual clock at the machine's time; the world's time has moved on.
  if (advanced_seconds_ > 0) {
    auto reply = connector_control(agent, "POST", "/control/clock/advance", {{"seconds", advanced_seconds_}});
    if (reply.status != 200) return failure_of("moving the restarted connector's clock to the world's time", reply);
  }
  return {};
}

bool World::launch(const WorldOptions& options, std::string& error) {
  const auto& installation = options.installation;
  target_ = options.target;
  for (const auto& [what, path] : {std::pair{"backend", installation.backend_binary}, std::pair{"connector", installation.connector_binary}}) {
    if (target_ && std::string(what) == "connector") continue;
    if (path.empty() || !std::filesystem::exists(path)) {
      error = std::string("the ") + what + " binary was not found at '" + path.string() + "' (build it, or set MCPCERT_" +
              (std::string(what) == "backend" ? "BACKEND" : "CONNECTOR") + "_BIN)";
      return false;
    }
  }

  if (options.keep_dir) {
    directory_ = *options.keep_dir;
    remove_directory_ = false;
    std::filesystem::create_directories(directory_);
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-world-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      error = "cannot create a temporary directory for the world";
      return false;
    }
    directory_ = pattern;
  }

  // An external connector shares the control secret it was given, as ours
  // shares the world's: one operator moves both clocks.
  control_secret_ = target_ && !target_->control_secret.empty() ? target_->control_secret : random_token(32);
  backend_state_directory_ = directory_ / "backend-state";
  nlohmann::json backend_config = {
      {"simulation", true},
      {"state_dir", backend_state_directory_.string()},
      {"control", {{"listen", target_ ? target_->backend.control_listen : "127.0.0.1:0"}, {"secret", control_secret_}}},
      {"tenants", nlohmann::json::array()},
  };
  const auto& methods = options.parameters.pkce_methods;
  const bool plain_pkce = std::find(methods.begin(), methods.end(), "plain") != methods.end();
  for (const auto& hosted : hosted_tenants()) {
    const auto placement = target_ ? target_->backend.tenants.at(hosted.id) : BackendPlacement::TenantListen{"127.0.0.1:0", "127.0.0.1:0"};
    backend_config["tenants"].push_back({{"id", hosted.id},
                                         {"region", hosted.region},
                                         {"fixture", (installation.fixtures_dir() / (hosted.id + ".json")).string()},
                                         {"api_listen", placement.api},
                                         {"issuer_listen", placement.issuer},
                                         {"access_token_ttl_seconds", options.parameters.access_ttl},
                                         {"refresh_token_ttl_seconds", options.parameters.refresh_ttl},
                                         // The issuers play the vendor's: its grace window and PKCE methods.
                                         {"refresh_grace_seconds", options.parameters.refresh_reuse_grace},
                                         {"pkce_plain_allowed", plain_pkce}});
  }
  if (target_) wait_for_key_refetch(target_->backend.key_refetch_seconds);
  const auto backend_config_file = directory_ / "backend.json";
  if (!write_file(backend_config_file, backend_config.dump(2))) {
    error = "cannot write " + backend_config_file.string();
    return false;
  }
  const auto backend_log = directory_ / "backend.log";
  std::vector<std::string> backend_args{"--config", backend_config_file.string()};
  for (const auto& mutant : options.backend_mutants) backend_args.insert(backend_args.end(), {"--test-only-mutant", mutant});
  std::vector<std::string> backend_env;
  if (!options.backend_mutants.empty()) backend_env.emplace_back("MCPCERT_ALLOW_MUTANTS=1");
  auto backend = ChildProcess::spawn(installation.backend_binary, backend_args, backend_log, backend_env);
  if (!backend) {
    error = "cannot start the backend: " + backend.error().message();
    return false;
  }
  backend_.emplace(std::move(*backend));
  auto ready = backend_->wait_ready(options.start_timeout);
  if (!ready) {
    error = "the backend did not become ready; its log says:\n" + tail_of(backend_log);
    return false;
  }
  auto endpoints = nlohmann::json::parse(*ready, nullptr, false);
  if (!endpoints.is_object() || !endpoints.contains("control") || !endpoints.contains("tenants")) {
    error = "the backend's READY line is malformed: " + *ready;
    return false;
  }
  control_url_ = endpoints["control"];
  for (const auto& [id, tenant] : endpoints["tenants"].items()) {
    tenants_[id] = {id, tenant.value("region", ""), tenant.value("api", ""), tenant.value("issuer", "")};
  }

  // The connector is a confidential client of every tenant's issuer (for
  // token exchange), with a secret made for this world alone.
  Transcript setup;
  HttpAgent agent(setup);
  if (target_) return attach_external_connector(agent, error) && register_resources(agent, target_->client_id, error);
  const auto connector_secret = random_token(32);
  nlohmann::json connector_config = {
      {"listen", "127.0.0.1:0"},
      {"client", {{"id", connector_client_id}, {"secret", connector_secret}}},
      {"tool_set", "finance"},
      {"tenants", nlohmann::json::array()},
      // The same secret as the backend's: one world, one operator.
      {"control", {{"listen", "127.0.0.1:0"}, {"secret", control_secret_}}},
      // Both processes read one machine clock shifted by the same steps, so
      // there is no skew to tolerate; a leeway would blur expiry checks.
      {"leeway_seconds", 0},
      // Short, so fault scenarios see a slow tenant time out quickly.
      {"upstream_timeout_ms", 2000},
      // HTTPS with a certificate the connector makes at start-up (pinned from its READY line).
      {"tls", nlohmann::json::object()},
  };
  // The log key lives with the world, outside the log's own directory, as a
  // deployment's would live in a secret store.
  connector_log_directory_ = directory_ / "connector-log";
  const auto log_key_file = directory_ / "connector-log-keys.json";
  if (!write_file(log_key_file, nlohmann::json{{"active", "k1"}, {"keys", {{"k1", hex_encode(random_bytes(32))}}}}.dump())) {
    error = "cannot write " + log_key_file.string();
    return false;
  }
  connector_config["log"] = {{"dir", connector_log_directory_.string()},
                             {"key_file", log_key_file.string()},
                             {"retention_days", options.parameters.log_retention / 86400}};
  // The reference connector's only optional field; the rest it always logs.
  if (std::find(options.parameters.log_fields.begin(), options.parameters.log_fields.end(), "arguments") != options.parameters.log_fields.end()) {
    connector_config["log"]["fields"] = {"arguments"};
  }
  for (const auto& [id, tenant] : tenants_) {
    auto reply = control(agent, "POST", "/control/tenants/" + id + "/clients",
                         {{"client_id", connector_client_id}, {"client_secret", connector_secret}, {"type", "confidential"}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the connector at tenant " + id + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
      return false;
    }
    std::string tool_set = "finance";
    for (const auto& hosted : hosted_tenants())
      if (hosted.id == id) tool_set = hosted.tool_set;
    connector_config["tenants"].push_back({{"id", id}, {"region", tenant.region}, {"issuer", tenant.issuer},
                                           {"api", tenant.api}, {"tool_set", tool_set}});
  }
  connector_config_ = std::move(connector_config);
  connector_binary_ = installation.connector_binary;
  start_timeout_ = options.start_timeout;
  for (const auto& mutant : options.connector_mutants) connector_mutants_.insert(connector_mutants_.end(), {"--test-only-mutant", mutant});
  if (!start_connector(error)) return false;
  return register_resources(agent, connector_client_id, error);
}

bool World::attach_external_connector(HttpAgent& agent, std::string& error) {
  for (const auto& [id, tenant] : tenants_) {
    auto reply = control(agent, "POST", "/control/tenants/" + id + "/clients",
                         {{"client_id", target_->client_id}, {"client_secret", target_->client_secret}, {"type", "confidential"}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the target's client " + target_->client_id + " at tenant " + id + " failed: HTTP " + std::to_string(reply.status) +
              " " + reply.body;
      return false;
    }
  }
  mcp_url_ = target_->mcp_url;
  trusted_certificate_file_ = target_->ca_file;
  connector_control_url_ = target_->control_url;
  connector_log_directory_ = target_->storage_dir;
  return true;
}

bool World::register_resources(HttpAgent& agent, const std::string& connector_client, std::string& error) {
  for (const auto& [id, tenant] : tenants_) {
    auto reply = control(agent, "POST", "/control/tenants/" + id + "/resources", {{"resource", mcp_url_}, {"client_id", connector_client}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the MCP resource at tenant " + id + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
      return false;
    }
    // The issuer only mints tokens for registered resources, and a resource belongs to a client.
    reply = control(agent, "POST", "/control/tenants/" + id + "/clients",
                    {{"client_id", decoy_client_id}, {"client_secret", random_token(32)}, {"type", "confidential"}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the decoy client at tenant " + id + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
      return false;
    }
    reply = control(agent, "POST", "/control/tenants/" + id + "/resources", {{"resource", decoy_resource_url}, {"client_id", decoy_client_id}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the decoy resource at tenant " + id + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
      return false;
    }
  }
  return true;
}

} // namespace mcpcert::client
