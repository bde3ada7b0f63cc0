#include "mcpcert/bench/bench_world.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"

namespace mcpcert::bench {

namespace {

constexpr const char* connector_client_id = "mcpcert-connector";
constexpr const char* tenant_id = "emea-finance";
constexpr const char* user_name = "alice";
// The fixture's public client and its loopback redirect (RFC 8252), as the harness's runner uses them.
constexpr const char* scripted_client_id = "mcpcert-scripted-client";
constexpr const char* scripted_redirect_uri = "http://127.0.0.1:47011/callback";

} // namespace

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

namespace {

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string tail_of(const std::filesystem::path& log) {
  auto text = read_text(log);
  if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
  return text;
}

} // namespace

std::optional<ProcessSample> sample_process(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  // values[0] is field 3 (state): utime is field 14, stime 15, rss (pages) 24.
  if (values.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessSample sample;
  sample.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
  sample.rss_bytes = std::stoull(values[21]) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return sample;
}

namespace {

// The shipped fixture with enough extra situations on alice's entity that
// list_situations returns about large_result_bytes; get_kpis is unchanged.
nlohmann::json with_large_situations(const std::string& fixture_text) {
  auto fixture = nlohmann::json::parse(fixture_text, nullptr, true, /*ignore_comments=*/true);
  for (auto& book : fixture.at("ledger")) {
    if (book.value("entity", "") != "ent-brussels") continue;
    auto& situations = book["situations"];
    const nlohmann::json sample = {{"id", "sit-bench-000000"}, {"period", "2025-03"}, {"status", "closed"}};
    const auto count = large_result_bytes / (sample.dump().size() + 1);
    for (std::size_t i = 0; i < count; ++i) {
      auto id = std::to_string(i);
      situations.push_back({{"id", "sit-bench-" + std::string(6 - std::min<std::size_t>(6, id.size()), '0') + id},
                            {"period", "2025-03"},
                            {"status", "closed"}});
    }
  }
  return fixture;
}

} // namespace

BenchWorld::BenchWorld(Paths paths, std::filesystem::path directory) : paths_(std::move(paths)), directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_);
  control_secret_ = random_token(32);
  connector_secret_ = random_token(32);
  const auto fixture = directory_ / "emea-finance-large.json";
  write_file(fixture, with_large_situations(read_text(paths_.fixture)).dump());
  const nlohmann::json backend_config = {
      {"simulation", true},
      // No state_dir: the tenant keeps its grants and auth events in an
      // in-memory SQLite database, so its own disk syncs (two per token
      // exchange) are not charged to the connector or the SDK server in
      // front of it. The connector's log stays durable: that cost is its own.
      {"control", {{"listen", "127.0.0.1:0"}, {"secret", control_secret_}}},
      {"tenants",
       {{{"id", tenant_id},
         {"region", "eu-central-1"},
         {"fixture", fixture.string()},
         {"api_listen", "127.0.0.1:0"},
         {"issuer_listen", "127.0.0.1:0"}}}},
  };
  write_file(directory_ / "backend.json", backend_config.dump(2));
  auto backend = client::ChildProcess::spawn(paths_.backend_binary, {"--config", (directory_ / "backend.json").string()},
                                             directory_ / "backend.log");
  if (!backend) throw std::runtime_error("cannot start the backend: " + backend.error().message());
  auto& process = processes_.emplace("backend", std::move(*backend)).first->second;
  started_.push_back("backend");
  auto ready = process.wait_ready(std::chrono::seconds(20));
  if (!ready) throw std::runtime_error("the backend did not become ready: " + tail_of(directory_ / "backend.log"));
  auto endpoints = nlohmann::json::parse(*ready);
  control_url_ = endpoints.at("control").get<std::string>();
  issuer_ = endpoints.at("tenants").at(tenant_id).at("issuer").get<std::string>();
  api_ = endpoints.at("tenants").at(tenant_id).at("api").get<std::string>();
  control_post(std::string("/control/tenants/") + tenant_id + "/clients",
               {{"client_id", connector_client_id}, {"client_secret", connector_secret_}, {"type", "confidential"}});

  client::Transcript scratch;
  client::HttpAgent agent(scratch);
  auto users = agent.send({"GET", control_url_ + "/control/tenants/" + tenant_id + "/users",
                           {{"Authorization", "Bearer " + control_secret_}}, ""});
  for (const auto& user : users.json().value("users", nlohmann::json::array())) {
    if (user.value("username", "") == user_name || user.value("id", "") == user_name) alice_password_ = user.value("password", "");
  }
  if (alice_password_.empty()) throw std::runtime_error("the backend lists no password for " + std::string(user_name));
}

BenchWorld::~BenchWorld() {
  for (auto it = started_.rbegin(); it != started_.rend(); ++it) processes_.at(*it).terminate(std::chrono::seconds(3));
}

void BenchWorld::control_post(const std::string& path, const nlohmann::json& body) {
  client::Transcript scratch;
  client::HttpAgent agent(scratch);
  auto reply = agent.send({"POST", control_url_ + path,
                           {{"Authorization", "Bearer " + control_secret_}, {"Content-Type", "application/json"}}, body.dump()});
  if (reply.status != 200 && reply.status != 201) {
    throw std::runtime_error("control plane " + path + ": HTTP " + std::to_string(reply.status) + " " + reply.body + reply.transport_error);
  }
}

RunningServer BenchWorld::spawn(const std::string& name, const std::filesystem::path& program, const std::vector<std::string>& args,
                                const std::vector<std::string>& env, const char* url_field) {
  const auto log = directory_ / (name + ".log");
  auto child = client::ChildProcess::spawn(program, args, log, env);
  if (!child) throw std::runtime_error("cannot start " + name + ": " + child.error().message());
  auto& process = processes_.emplace(name, std::move(*child)).first->second;
  started_.push_back(name);
  auto ready = process.wait_ready(std::chrono::seconds(30));
  if (!ready) throw std::runtime_error(name + " did not become ready: " + tail_of(log));
  auto line = nlohmann::json::parse(*ready);
  RunningServer server;
  server.name = name;
  server.url = line.at(url_field).get<std::string>();
  server.certificate_pem = line.value("certificate_pem", "");
  server.pid = process.pid();
  return server;
}

RunningServer BenchWorld::start_connector(const ConnectorVariant& variant) {
  nlohmann::json config = {
      {"listen", "127.0.0.1:0"},
      {"client", {{"id", connector_client_id}, {"secret", connector_secret_}}},
      {"tool_set", "finance"},
      {"tenants", {{{"id", tenant_id}, {"region", "eu-central-1"}, {"issuer", issuer_}, {"api", api_}}}},
      {"tls", variant.tls ? nlohmann::json::object() : nlohmann::json{{"enabled", false}}},
      // One user drives every session of every level, and sessions outlive
      // their level: the default cap of 32 per user is for people, not for a
      // load generator.
      {"limits", {{"sessions_per_user", 10'000}}},
  };
  if (variant.log) {
    const auto keys = directory_ / (variant.name + "-log-keys.json");
    write_file(keys, nlohmann::json{{"active", "k1"}, {"keys", {{"k1", hex_encode(random_bytes(32))}}}}.dump());
    config["log"] = {{"dir", (directory_ / (variant.name + "-log")).string()}, {"key_file", keys.string()}};
  }
  const auto config_file = directory_ / (variant.name + ".json");
  write_file(config_file, config.dump(2));
  std::vector<std::string> args{"--config", config_file.string()};
  std::vector<std::string> env;
  for (const auto& mutant : variant.mutants) args.insert(args.end(), {"--test-only-mutant", mutant});
  if (!variant.mutants.empty()) env.emplace_back("MCPCERT_ALLOW_MUTANTS=1");
  auto server = spawn(variant.name, paths_.connector_binary, args, env, "mcp");
  control_post(std::string("/control/tenants/") + tenant_id + "/resources", {{"resource", server.url}, {"client_id", connector_client_id}});
  return server;
}

RunningServer BenchWorld::start_trivial(std::size_t reply_bytes) {
  if (reply_bytes == 0) return spawn("trivial", paths_.self_binary, {"--serve-trivial"}, {}, "url");
  return spawn("trivial-" + std::to_string(reply_bytes), paths_.self_binary, {"--serve-trivial", std::to_string(reply_bytes)}, {}, "url");
}

RunningServer BenchWorld::start_proxy(const std::string& upstream_url, const std::string& name) {
  return spawn(name, paths_.self_binary, {"--serve-proxy", upstream_url}, {}, "url");
}

RunningServer BenchWorld::start_call_shape(const std::string& upstream_url) {
  return spawn("call-shape", paths_.self_binary, {"--serve-call-shape", upstream_url, (directory_ / "call-shape.records").string()}, {},
               "url");
}

RunningServer BenchWorld::start_sdk_server() {
  auto server = spawn("sdk", paths_.node_binary, {paths_.sdk_script.string()},
                      {"MCPCERT_SDK_MODULES=" + paths_.node_modules.string(), "MCPCERT_ISSUER=" + issuer_, "MCPCERT_API=" + api_,
                       std::string("MCPCERT_CLIENT_ID=") + connector_client_id, "MCPCERT_CLIENT_SECRET=" + connector_secret_},
                      "mcp");
  control_post(std::string("/control/tenants/") + tenant_id + "/resources", {{"resource", server.url}, {"client_id", connector_client_id}});
  return server;
}

std::string BenchWorld::user_token(const RunningServer& server, const std::string& resource) {
  client::Transcript transcript;
  std::string certificate_file;
  if (!server.certificate_pem.empty()) {
    certificate_file = (directory_ / (server.name + "-certificate.pem")).string();
    write_file(certificate_file, server.certificate_pem);
  }
  client::HttpAgent agent(transcript, certificate_file);
  client::OAuthClient oauth(agent, {scripted_client_id, scripted_redirect_uri});
  auto outcome = oauth.authorize(server.url, issuer_, {user_name, alice_password_}, "finance:read", resource);
  if (!outcome.tokens) throw std::runtime_error("signing in as " + std::string(user_name) + " at " + server.url + " failed at " +
                                                outcome.failed_step + ": " + outcome.failure);
  return outcome.tokens->access_token;
}

} // namespace mcpcert::bench
