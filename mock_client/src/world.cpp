#include "mcpcert/mock_client/world.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_client/restartable_ports.hpp"
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

// One loopback listener on a thread of its own: the issuers fetch from it
// while the harness's own requests wait on them.
struct World::DocumentHost {
  boost::asio::io_context io;
  std::unique_ptr<http::Server> server;
  std::thread thread;

  ~DocumentHost() {
    if (!thread.joinable()) return;
    boost::asio::post(io, [this] {
      server->stop();
      io.stop();
    });
    thread.join();
  }
};

bool World::serve_client_metadata_document(std::string& error) {
  document_host_ = std::make_unique<DocumentHost>();
  auto* host = document_host_.get();
  // Over https, as the draft wants of a client_id: the issuers trust this
  // host's certificate through their config, as a tenant would a private CA.
  auto identity = generate_loopback_identity();
  client_metadata_document_ca_file_ = directory_ / "document-host-certificate.pem";
  if (!write_file(client_metadata_document_ca_file_, identity.certificate_pem)) {
    error = "cannot write " + client_metadata_document_ca_file_.string();
    return false;
  }
  try {
    host->server = std::make_unique<http::Server>(
        host->io.get_executor(), "127.0.0.1", 0, http::make_async([this](http::Request& request, const http::RequestContext&) {
          if (request.target() != "/mcpcert-scripted-client.json")
            return http::make_response(request, 404, "text/plain", "no such document");
          // A public client whose redirect URI is loopback: any port at use (RFC 8252 7.3).
          nlohmann::json document = {{"client_id", client_metadata_document_url_},
                                     {"client_name", "mcpcert scripted client (metadata document)"},
                                     {"redirect_uris", {"http://127.0.0.1/callback"}},
                                     {"grant_types", {"authorization_code", "refresh_token"}},
                                     {"response_types", {"code"}},
                                     {"token_endpoint_auth_method", "none"}};
          auto response = http::make_response(request, 200, "application/json", document.dump());
          response.set(boost::beast::http::field::cache_control, "max-age=300");
          return response;
        }),
        http::ServerLimits{}, std::move(identity));
  } catch (const std::exception& e) {
    error = std::string("cannot serve the client metadata document: ") + e.what();
    return false;
  }
  client_metadata_document_url_ = host->server->base_url() + "/mcpcert-scripted-client.json";
  host->server->start();
  host->thread = std::thread([host] { host->io.run(); });
  return true;
}

World::~World() {
  if (connector_) connector_->terminate();
  if (backend_) backend_->terminate();
  if (target_) {
    // The connector's clock only moves forward; the next world's issuers start at the machine's time again.
    if (advanced_seconds_ != 0 && !target_->restart_command.empty()) run_restart_command(false);
    std::lock_guard lock(external_world_mutex);
    last_external_world_end = std::chrono::steady_clock::now();
  }
  for (auto port : picked_ports_) release_restartable_port(port);
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

std::string World::shift_clock(HttpAgent& agent, bool connector, std::int64_t seconds) {
  if (seconds == 0) return {};
  const std::string path = seconds > 0 ? "/control/clock/advance" : "/control/clock/rewind";
  const nlohmann::json body = {{"seconds", seconds > 0 ? seconds : -seconds}};
  auto reply = connector ? connector_control(agent, "POST", path, body) : control(agent, "POST", path, body);
  if (reply.status == 200) return {};
  return failure_of(connector ? "moving the connector's clock" : "moving the backend's clock", reply);
}

std::string World::advance_clock(HttpAgent& agent, std::int64_t seconds) {
  if (real_time_) {
    if (seconds < 0) return "a real clock can't be stepped back";
    if (seconds > max_real_time_wait_seconds) {
      return "waiting " + std::to_string(seconds) + " s in real time is more than the " + std::to_string(max_real_time_wait_seconds) +
             " s a real-time world waits";
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    return {};
  }
  if (connector_control_url_.empty()) return "the connector offers no control plane, so its clock cannot be moved";
  // Without authorization there is no backend, so only the connector's clock moves.
  if (backend_) {
    if (auto problem = shift_clock(agent, false, seconds); !problem.empty()) return problem;
  }
  if (auto problem = shift_clock(agent, true, seconds); !problem.empty()) return problem;
  advanced_seconds_ += seconds;
  return {};
}

std::string World::tenant_mcp_url(const std::string& tenant_id) const {
  const auto found = tenant_mcp_urls_.find(tenant_id);
  return found == tenant_mcp_urls_.end() ? std::string{} : found->second;
}

nlohmann::json World::describe() const {
  nlohmann::json tenants = nlohmann::json::object();
  for (const auto& [id, tenant] : tenants_) {
    tenants[id] = {{"region", tenant.region}, {"issuer", tenant.issuer}, {"api", tenant.api}};
    if (auto own = tenant_mcp_url(id); !own.empty()) tenants[id]["mcp_url"] = own;
  }
  nlohmann::json out = {{"mcp_url", mcp_url_}};
  if (!connector_control_url_.empty()) out["connector_control"] = connector_control_url_;
  if (!backend_) return out; // a target without authorization: no backend, no tenants
  out["backend_control"] = control_url_;
  out["tenants"] = tenants;
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
  std::lock_guard lock(totp_mutex_);
  auto [last, fresh] = last_totp_step_.emplace(user.user_id, step);
  if (!fresh) {
    step = std::max(step, last->second + 1);
    last->second = step;
  }
  return hotp(*key, step);
}

UserCredentials World::credentials_for(const TestUser& user) {
  UserCredentials credentials{user.username, user.password, {}};
  if (!user.totp_secret.empty()) credentials.one_time_code = [this, user] { return one_time_code(user); };
  // Users without a password here sign in only through the tenant's identity provider.
  if (user.password.empty() && !user.sso_subject.empty()) {
    credentials.sso_username = user.sso_subject;
    credentials.sso_password = user.sso_password;
  }
  return credentials;
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
  tenant_mcp_urls_.clear();
  if (endpoints.contains("tenant_mcp") && endpoints["tenant_mcp"].is_object()) {
    for (const auto& [id, url] : endpoints["tenant_mcp"].items())
      if (url.is_string()) tenant_mcp_urls_[id] = url.get<std::string>();
  }
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

bool World::pick_listen_port(nlohmann::json& listen, std::string& error) {
  const auto port = pick_restartable_port();
  if (!port) {
    error = "no free loopback port below the kernel's ephemeral range (see /proc/sys/net/ipv4/ip_local_port_range)";
    return false;
  }
  picked_ports_.push_back(*port);
  listen = "127.0.0.1:" + std::to_string(*port);
  return true;
}

bool World::pick_backend_ports(std::string& error) {
  if (target_) return true;
  if (!pick_listen_port(backend_config_["control"]["listen"], error)) return false;
  for (auto& tenant : backend_config_["tenants"])
    if (!pick_listen_port(tenant["api_listen"], error) || !pick_listen_port(tenant["issuer_listen"], error)) return false;
  return true;
}

bool World::pick_connector_ports(std::string& error) {
  return pick_listen_port(connector_config_["listen"], error) &&
         pick_listen_port(connector_config_["control"]["listen"], error);
}

bool World::start_first_time(bool (World::*pick_ports)(std::string&), bool (World::*start)(std::string&),
                             std::string& error) {
  // Between the check that a port is free and the server's bind, another
  // process may bind it on purpose (a world in a test running beside this
  // one picked it too); fresh picks settle that. An external target's fixed
  // ports are not picked, so for them this is one plain start.
  for (int attempt = 1;; ++attempt) {
    error.clear();
    if (!(this->*pick_ports)(error)) return false;
    if ((this->*start)(error)) return true;
    if (target_ || attempt == 3 || error.find("Address already in use") == std::string::npos) return false;
  }
}

bool World::start_again(bool (World::*start)(std::string&), std::string& error) {
  // Restartable ports are outside the kernel's ephemeral range, so no
  // connection holds one as its local port; an external target's fixed
  // ports, or a server that has not let go of its socket yet, may still be
  // busy for a moment. That passes; anything longer fails here, after 5 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    error.clear();
    if ((this->*start)(error)) return true;
    if (error.find("Address already in use") == std::string::npos || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string World::restart_connector(HttpAgent& agent, bool crash) {
  if (target_) {
    if (auto problem = run_restart_command(crash); !problem.empty()) return problem;
    if (target_->virtual_clock) {
      if (auto problem = shift_clock(agent, true, advanced_seconds_); !problem.empty()) return problem + " (to the world's time, after the restart)";
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
  if (!start_again(&World::start_connector, error)) return "restarting the connector failed: " + error;
  if (mcp_url_ != previous_mcp_url) return "the connector came back at " + mcp_url_ + ", not at " + previous_mcp_url;
  // A new process starts its virtual clock at the machine's time; the world's time has moved on.
  if (auto problem = shift_clock(agent, true, advanced_seconds_); !problem.empty()) return problem + " (to the world's time, after the restart)";
  return {};
}

bool World::launch(const WorldOptions& options, std::string& error) {
  const auto& installation = options.installation;
  target_ = options.target;
  real_time_ = options.real_time;
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
  // A server without authorization has no issuer to trust and no tenant API
  // behind it: a backend would be started for nothing to use. Every step
  // that needs one makes its scenario SKIPPED before a world starts.
  if (target_ && !target_->offers("oauth")) {
    take_target_addresses();
    return true;
  }
  if (!serve_client_metadata_document(error)) return false;
  const auto document_host = http::parse_url(client_metadata_document_url_);
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
                                         {"pkce_plain_allowed", plain_pkce},
                                         {"client_metadata_document_hosts",
                                          {document_host->host + ":" + std::to_string(document_host->port)}},
                                         {"client_metadata_document_ca_file", client_metadata_document_ca_file_.string()}});
  }
  if (target_) wait_for_key_refetch(target_->backend.key_refetch_seconds);
  backend_config_ = std::move(backend_config);
  backend_binary_ = installation.backend_binary;
  for (const auto& mutant : options.backend_mutants) backend_mutants_.insert(backend_mutants_.end(), {"--test-only-mutant", mutant});
  start_timeout_ = options.start_timeout;
  if (!start_first_time(&World::pick_backend_ports, &World::start_backend, error)) return false;

  // The connector is a confidential client of every tenant's issuer (for
  // token exchange), with a secret made for this world alone.
  Transcript setup;
  HttpAgent agent(setup);
  if (target_) {
    connector_client_id_ = target_->client_id;
    connector_client_secret_ = target_->client_secret;
    return attach_external_connector(agent, error) && register_resources(agent, target_->client_id, error);
  }
  connector_client_id_ = connector_client_id;
  connector_client_secret_ = random_token(32);
  const auto& connector_secret = connector_client_secret_;
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
  if (options.log_retention_mode != "delete") {
    const auto pseudonym_key_file = directory_ / "connector-pseudonym-key";
    if (!write_file(pseudonym_key_file, hex_encode(random_bytes(32)))) {
      error = "cannot write " + pseudonym_key_file.string();
      return false;
    }
    connector_config["log"]["retention_mode"] = options.log_retention_mode;
    connector_config["log"]["pseudonym_key_file"] = pseudonym_key_file.string();
  }
  if (options.tools_page_size) connector_config["tools_page_size"] = *options.tools_page_size;
  // The reference connector's only optional field; the rest it always logs.
  if (std::find(options.parameters.log_fields.begin(), options.parameters.log_fields.end(), "arguments") != options.parameters.log_fields.end()) {
    connector_config["log"]["fields"] = {"arguments"};
  }
  if (!register_connector_client(agent, error)) return false;
  for (const auto& [id, tenant] : tenants_) {
    std::string tool_set = "finance";
    for (const auto& hosted : hosted_tenants())
      if (hosted.id == id) tool_set = hosted.tool_set;
    connector_config["tenants"].push_back({{"id", id}, {"region", tenant.region}, {"issuer", tenant.issuer},
                                           {"api", tenant.api}, {"tool_set", tool_set}});
  }
  connector_config_ = std::move(connector_config);
  connector_binary_ = installation.connector_binary;
  for (const auto& mutant : options.connector_mutants) connector_mutants_.insert(connector_mutants_.end(), {"--test-only-mutant", mutant});
  if (!start_first_time(&World::pick_connector_ports, &World::start_connector, error)) return false;
  return register_resources(agent, connector_client_id, error);
}

bool World::attach_external_connector(HttpAgent& agent, std::string& error) {
  if (!register_connector_client(agent, error)) return false;
  take_target_addresses();
  return true;
}

void World::take_target_addresses() {
  mcp_url_ = target_->mcp_url;
  tenant_mcp_urls_ = target_->tenant_mcp_urls;
  trusted_certificate_file_ = target_->ca_file;
  connector_control_url_ = target_->control_url;
  connector_log_directory_ = target_->storage_dir;
}

bool World::register_connector_client(HttpAgent& agent, std::string& error) {
  for (const auto& [id, tenant] : tenants_) {
    auto reply = control(agent, "POST", "/control/tenants/" + id + "/clients",
                         {{"client_id", connector_client_id_}, {"client_secret", connector_client_secret_}, {"type", "confidential"}});
    if (reply.status != 201 && reply.status != 200) {
      error = "registering the connector's client " + connector_client_id_ + " at tenant " + id + " failed: HTTP " +
              std::to_string(reply.status) + " " + reply.body;
      return false;
    }
  }
  return true;
}

bool World::start_backend(std::string& error) {
  const auto config_file = directory_ / "backend.json";
  if (!write_file(config_file, backend_config_.dump(2))) {
    error = "cannot write " + config_file.string();
    return false;
  }
  const auto backend_log = directory_ / "backend.log";
  std::vector<std::string> args{"--config", config_file.string()};
  args.insert(args.end(), backend_mutants_.begin(), backend_mutants_.end());
  std::vector<std::string> env;
  if (!backend_mutants_.empty()) env.emplace_back("MCPCERT_ALLOW_MUTANTS=1");
  auto backend = ChildProcess::spawn(backend_binary_, args, backend_log, env);
  if (!backend) {
    error = "cannot start the backend: " + backend.error().message();
    return false;
  }
  backend_.emplace(std::move(*backend));
  auto ready = backend_->wait_ready(start_timeout_);
  if (!ready) {
    error = "the backend did not become ready; its log says:\n" + tail_of(backend_log);
    return false;
  }
  auto endpoints = nlohmann::json::parse(*ready, nullptr, false);
  if (!endpoints.is_object() || !endpoints.contains("control") || !endpoints["control"].is_string() || !endpoints.contains("tenants") ||
      !endpoints["tenants"].is_object()) {
    error = "the backend's READY line is malformed: " + *ready;
    return false;
  }
  control_url_ = endpoints["control"];
  tenants_.clear();
  for (const auto& [id, tenant] : endpoints["tenants"].items()) {
    tenants_[id] = {id, tenant.value("region", ""), tenant.value("api", ""), tenant.value("issuer", "")};
  }
  return true;
}

std::string World::restart_backend(HttpAgent& agent, bool crash) {
  if (!backend_) return "the backend is not running";
  if (crash) backend_->kill();
  else backend_->terminate();
  backend_.reset();
  // The same ports again: tokens name their issuer, and the connector knows each tenant by its URLs.
  const auto previous_control = control_url_;
  const auto previous_tenants = tenants_;
  auto listen_of = [](const std::string& url) -> std::optional<std::string> {
    auto parsed = http::parse_url(url);
    if (!parsed) return std::nullopt;
    return parsed->host + ":" + std::to_string(parsed->port);
  };
  auto control_listen = listen_of(control_url_);
  if (!control_listen) return "the backend's control URL '" + control_url_ + "' does not parse";
  backend_config_["control"]["listen"] = *control_listen;
  for (auto& tenant : backend_config_["tenants"]) {
    const auto& known = tenants_.at(tenant["id"].get<std::string>());
    auto api = listen_of(known.api);
    auto issuer = listen_of(known.issuer);
    if (!api || !issuer) return "tenant " + known.id + "'s URLs do not parse";
    tenant["api_listen"] = *api;
    tenant["issuer_listen"] = *issuer;
  }
  std::string error;
  if (!start_again(&World::start_backend, error)) return "restarting the backend failed: " + error;
  ++backend_restarts_;
  if (control_url_ != previous_control) return "the backend's control plane came back at " + control_url_ + ", not at " + previous_control;
  for (const auto& [id, tenant] : previous_tenants) {
    auto now = tenants_.find(id);
    if (now == tenants_.end() || now->second.api != tenant.api || now->second.issuer != tenant.issuer) {
      return "tenant " + id + " came back at other URLs than before the restart";
    }
  }
  // A new process starts its virtual clock at the machine's time; the world's time has moved on.
  if (auto problem = shift_clock(agent, false, advanced_seconds_); !problem.empty()) return problem + " (to the world's time, after the restart)";
  if (!register_connector_client(agent, error) || !register_resources(agent, connector_client_id_, error)) {
    return "provisioning the restarted backend failed: " + error;
  }
  return {};
}

bool World::register_resources(HttpAgent& agent, const std::string& connector_client, std::string& error) {
  for (const auto& [id, tenant] : tenants_) {
    // The shared URL at every issuer; a tenant's own URL at its issuer alone.
    std::vector<std::string> resources{mcp_url_};
    if (auto own = tenant_mcp_url(id); !own.empty()) resources.push_back(own);
    for (const auto& resource : resources) {
      auto reply = control(agent, "POST", "/control/tenants/" + id + "/resources", {{"resource", resource}, {"client_id", connector_client}});
      if (reply.status != 201 && reply.status != 200) {
        error = "registering the MCP resource " + resource + " at tenant " + id + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
        return false;
      }
    }
    // The issuer only mints tokens for registered resources, and a resource belongs to a client.
    auto reply = control(agent, "POST", "/control/tenants/" + id + "/clients",
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
