#include "mcpcert/bench/soak_run.hpp"

#include <atomic>
#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::bench {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The scripted client the fixtures pre-register at every issuer.
constexpr const char* scripted_client_id = "mcpcert-scripted-client";
constexpr const char* scripted_redirect_uri = "http://127.0.0.1:47011/callback";

// The mix, per user operation: a tool call always; then every tenth a
// refresh, every twenty-fifth a revocation of the grant and a new sign-in.
constexpr std::uint64_t refresh_every = 10;
constexpr std::uint64_t revoke_every = 25;
constexpr std::size_t kept_error_messages = 10;

// One signed-in user with its own agent, OAuth client and MCP session. Only
// its worker thread touches it.
struct SoakUser {
  std::string tenant;
  std::string region;
  client::UserCredentials credentials;
  std::string username;
  bool second_factor = false; ///< a TOTP code per sign-in, so at most a few sign-ins per 30 s
  std::string tool;
  std::string scope;
  std::string issuer;
  std::unique_ptr<client::Transcript> transcript = std::make_unique<client::Transcript>(false);
  std::unique_ptr<client::HttpAgent> agent;
  std::unique_ptr<client::OAuthClient> oauth;
  std::unique_ptr<client::McpClient> mcp;
  client::TokenSet tokens;
};

struct TenantTally {
  std::uint64_t calls = 0;       ///< tool calls made by the tenant's users
  std::uint64_t call_errors = 0; ///< of those, the ones that did not succeed
};

// Shared by the workers; one lock, taken once per operation.
struct SoakTally {
  std::mutex mutex;
  std::map<std::string, TenantTally> tenants;
  std::uint64_t refreshes = 0, refresh_errors = 0;
  std::uint64_t revocations = 0, revocation_errors = 0;
  std::uint64_t sign_ins = 0, sign_in_errors = 0;
  std::vector<std::string> errors;

  void error(const std::string& what) {
    if (errors.size() < kept_error_messages) errors.push_back(what);
  }
};

std::string sign_in(client::World& world, SoakUser& user) {
  auto outcome = user.oauth->authorize(world.mcp_url(), user.issuer, user.credentials, user.scope);
  if (!outcome.tokens) return user.tenant + "/" + user.username + ": sign-in failed at " + outcome.failed_step + ": " + outcome.failure;
  user.tokens = *outcome.tokens;
  user.mcp = std::make_unique<client::McpClient>(*user.agent, world.mcp_url(), user.tokens.access_token);
  auto reply = user.mcp->connect();
  if (!reply.has_result()) return user.tenant + "/" + user.username + ": initialize answered HTTP " + std::to_string(reply.http.status);
  return {};
}

// Resident memory of a process in KiB, from /proc; -1 when it can't be read.
long resident_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// What one operation on `user` did, folded into the tally under its lock.
void run_operation(client::World& world, SoakUser& user, std::uint64_t op, SoakTally& tally) {
  auto reply = user.mcp->call_tool(user.tool, json::object());
  const bool ok = reply.http.status == 200 && reply.has_result() && !reply.is_tool_error();
  std::string refresh_failure;
  bool refreshed = false;
  if (op % refresh_every == refresh_every - 1) {
    auto outcome = user.oauth->refresh(user.tokens, user.tokens.refresh_token, user.tokens.resource);
    refreshed = true;
    if (outcome.tokens) {
      user.tokens = *outcome.tokens;
      user.mcp->set_access_token(user.tokens.access_token);
    } else {
      refresh_failure = user.username + ": refresh failed: " + outcome.oauth_error + " " + outcome.failure;
    }
  }
  std::string revoke_failure;
  std::string sign_in_failure;
  bool revoked = false;
  // A user with a second factor is not made to sign in again every few seconds, as no person would be.
  if (op % revoke_every == revoke_every - 1 && !user.second_factor) {
    revoked = true;
    // A user disconnecting the connector: the client ends its session, then revokes the grant.
    user.agent->send({"DELETE", world.mcp_url(),
                      {{"Authorization", "Bearer " + user.tokens.access_token},
                       {"Mcp-Session-Id", user.mcp->session_id()},
                       {"MCP-Protocol-Version", user.mcp->protocol_version()}},
                      ""});
    auto outcome = user.oauth->revoke(user.tokens, user.tokens.refresh_token, "refresh_token");
    if (!outcome.revoked) revoke_failure = user.username + ": revocation failed: HTTP " + std::to_string(outcome.status) + " " + outcome.failure;
    sign_in_failure = sign_in(world, user);
  }
  std::lock_guard lock(tally.mutex);
  auto& tenant = tally.tenants[user.tenant];
  ++tenant.calls;
  if (!ok) {
    ++tenant.call_errors;
    tally.error(user.tenant + "/" + user.username + ": " + user.tool + " answered HTTP " + std::to_string(reply.http.status) + " " +
                reply.message.dump().substr(0, 200));
  }
  if (refreshed) {
    ++tally.refreshes;
    if (!refresh_failure.empty()) {
      ++tally.refresh_errors;
      tally.error(refresh_failure);
    }
  }
  if (revoked) {
    ++tally.revocations;
    ++tally.sign_ins;
    if (!revoke_failure.empty()) {
      ++tally.revocation_errors;
      tally.error(revoke_failure);
    }
    if (!sign_in_failure.empty()) {
      ++tally.sign_in_errors;
      tally.error(sign_in_failure);
    }
  }
}

bool parse_count(const std::string& text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

} // namespace

const char* soak_usage() {
  return "usage: mcpcert bench --soak [--seconds N (300)] [--calls N (100000)] [--workers N (4)] [--json FILE]\n"
         "  a bounded soak: every test user of every tenant signs in, then tool calls, refreshes and\n"
         "  revocations run until N calls or N seconds; every call is accounted for in the connector's\n"
         "  log and the tenants' audits; resident memory of the connector and backend at start and end.\n";
}

std::optional<SoakOptions> parse_soak_options(const std::vector<std::string>& args, std::string& error) {
  SoakOptions options;
  for (const auto& arg : args) options.command_line += (options.command_line.empty() ? "" : " ") + arg;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& flag = args[i];
    if (i + 1 >= args.size()) {
      error = flag + " needs a value";
      return std::nullopt;
    }
    const auto& value = args[++i];
    std::uint64_t number = 0;
    if (flag == "--json") {
      options.json_file = value;
    } else if (flag == "--seconds" || flag == "--calls" || flag == "--workers") {
      if (!parse_count(value, number)) {
        error = flag + " must be a positive integer, not '" + value + "'";
        return std::nullopt;
      }
      if (flag == "--seconds") {
        if (number > 24 * 3600) {
          error = "--seconds must be at most a day (86400): a soak is bounded";
          return std::nullopt;
        }
        options.duration = std::chrono::seconds(number);
      } else if (flag == "--calls") {
        options.max_calls = number;
      } else {
        if (number > 64) {
          error = "--workers must be at most 64";
          return std::nullopt;
        }
        options.workers = static_cast<int>(number);
      }
    } else {
      error = "unknown option " + flag;
      return std::nullopt;
    }
  }
  return options;
}

int run_soak(const SoakOptions& options) {
  std::string error;
  auto world = client::World::start(client::WorldOptions{}, error);
  if (!world) {
    std::cerr << "mcpcert bench --soak: the world did not start: " << error << "\n";
    return 2;
  }

  // Every test user of every tenant who may use the assistant.
  std::vector<SoakUser> users;
  for (const auto& hosted : client::hosted_tenants()) {
    const auto tenant = world->tenant(hosted.id);
    if (!tenant) continue;
    for (const auto& test_user : world->users(hosted.id)) {
      const bool mcp_access =
          std::any_of(test_user.roles.begin(), test_user.roles.end(), [](const json& role) { return role.value("mcp_access", false); });
      if (!mcp_access) continue;
      SoakUser user;
      user.tenant = hosted.id;
      user.region = hosted.region;
      user.username = test_user.username;
      user.credentials = world->credentials_for(test_user);
      user.second_factor = !test_user.totp_secret.empty();
      user.tool = hosted.tool_set == "planning" ? "list_applications" : "get_kpis";
      user.scope = hosted.tool_set == "planning" ? "planning:read" : "finance:read";
      user.issuer = tenant->issuer;
      user.agent = std::make_unique<client::HttpAgent>(*user.transcript, world->trusted_certificate_file());
      user.oauth = std::make_unique<client::OAuthClient>(*user.agent, client::ClientRegistration{scripted_client_id, scripted_redirect_uri});
      users.push_back(std::move(user));
    }
  }
  SoakTally tally;
  std::vector<std::size_t> active;
  std::set<std::string> refused_users;
  for (std::size_t i = 0; i < users.size(); ++i) {
    ++tally.sign_ins;
    // A fixture user who holds MCP Access yet can't sign in (suspended) is expected to be refused.
    if (auto problem = sign_in(*world, users[i]); !problem.empty()) {
      refused_users.insert(users[i].tenant + "/" + users[i].username + " (" + problem + ")");
      continue;
    }
    active.push_back(i);
  }
  if (active.empty()) {
    std::cerr << "mcpcert bench --soak: no user could sign in\n";
    return 2;
  }
  std::cerr << "mcpcert bench --soak: " << active.size() << " users signed in across " << client::hosted_tenants().size()
            << " tenants; running for at most " << options.duration.count() << " s or " << options.max_calls << " calls\n";

  const auto connector_rss_start = resident_kib(world->connector_pid());
  const auto backend_rss_start = resident_kib(world->backend_pid());
  const auto started = Clock::now();
  const auto deadline = started + options.duration;
  std::atomic<std::uint64_t> calls_claimed{0};
  // Resident memory at ten points of the run, to tell a plateau from a leak.
  std::atomic<bool> finished{false};
  json rss_samples = json::array();
  std::thread sampler([&] {
    const auto step = options.duration / 10;
    for (int i = 1; i <= 10 && !finished; ++i) {
      const auto until = started + step * i;
      while (!finished && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (finished) break;
      rss_samples.push_back({{"seconds", std::chrono::duration<double>(Clock::now() - started).count()},
                             {"connector_kib", resident_kib(world->connector_pid())},
                             {"backend_kib", resident_kib(world->backend_pid())}});
    }
  });
  std::vector<std::thread> workers;
  const auto worker_count = std::min<std::size_t>(static_cast<std::size_t>(options.workers), active.size());
  for (std::size_t w = 0; w < worker_count; ++w) {
    workers.emplace_back([&, w] {
      std::vector<std::size_t> mine;
      for (std::size_t i = w; i < active.size(); i += worker_count) mine.push_back(active[i]);
      std::vector<std::uint64_t> operations(mine.size(), 0);
      for (std::size_t turn = 0; Clock::now() < deadline; ++turn) {
        if (calls_claimed.fetch_add(1) >= options.max_calls) break;
        const auto slot = turn % mine.size();
        run_operation(*world, users[mine[slot]], operations[slot]++, tally);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  finished = true;
  sampler.join();
  const auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const auto connector_rss_end = resident_kib(world->connector_pid());
  const auto backend_rss_end = resident_kib(world->backend_pid());

  // Accounting: the connector's log, and what each tenant's API saw.
  client::Transcript evidence(false);
  client::HttpAgent agent(evidence);
  auto log = world->connector_log(agent);
  std::map<std::string, std::uint64_t> records_by_tenant;
  for (const auto& record : log.records) {
    if (record.value("kind", "") == "tool_call") ++records_by_tenant[record.value("tenant", "")];
  }
  json tenants = json::object();
  std::uint64_t calls = 0, call_errors = 0, records = 0, lost = 0, extra = 0, cross_region = 0;
  for (const auto& hosted : client::hosted_tenants()) {
    const auto& tenant_tally = tally.tenants[hosted.id];
    auto reply = world->control(agent, "GET", "/control/tenants/" + hosted.id + "/audit?listener=api");
    auto audit = reply.json();
    std::uint64_t api_requests = 0, api_refused = 0;
    if (reply.status == 200 && audit.is_object() && audit.contains("records")) {
      for (const auto& row : audit["records"]) {
        ++api_requests;
        // A token of another tenant's issuer is refused here with 401: the only trace a call routed to the wrong region leaves.
        if (row.value("status", 0) == 401) ++api_refused;
      }
    } else {
      tally.error("reading tenant " + hosted.id + "'s audit failed: HTTP " + std::to_string(reply.status));
    }
    const auto logged = records_by_tenant[hosted.id];
    calls += tenant_tally.calls;
    call_errors += tenant_tally.call_errors;
    records += logged;
    if (logged < tenant_tally.calls) lost += tenant_tally.calls - logged;
    if (logged > tenant_tally.calls) extra += logged - tenant_tally.calls;
    cross_region += api_refused;
    tenants[hosted.id] = {{"region", hosted.region},
                          {"calls", tenant_tally.calls},
                          {"call_errors", tenant_tally.call_errors},
                          {"log_records", logged},
                          {"api_requests", api_requests},
                          {"api_refused", api_refused}};
  }
  if (!log.problem.empty()) tally.error("reading the connector's log failed: " + log.problem);

  const bool passed = log.problem.empty() && lost == 0 && extra == 0 && cross_region == 0 && call_errors == 0 &&
                      tally.refresh_errors == 0 && tally.revocation_errors == 0 && tally.sign_in_errors == 0;
  json report = {
      {"command", "mcpcert bench --soak " + options.command_line},
      {"duration_seconds", elapsed},
      {"workers", worker_count},
      {"users", active.size()},
      {"users_refused_at_sign_in", std::vector<std::string>(refused_users.begin(), refused_users.end())},
      {"calls", calls},
      {"calls_per_second", elapsed > 0 ? static_cast<double>(calls) / elapsed : 0.0},
      {"call_errors", call_errors},
      {"refreshes", tally.refreshes},
      {"refresh_errors", tally.refresh_errors},
      {"revocations", tally.revocations},
      {"revocation_errors", tally.revocation_errors},
      {"sign_ins", tally.sign_ins},
      {"sign_in_errors", tally.sign_in_errors},
      {"log_records", records},
      {"lost_records", lost},
      {"extra_records", extra},
      {"cross_region_calls", cross_region},
      {"rss_kib", {{"connector", {{"start", connector_rss_start}, {"end", connector_rss_end}}},
                   {"backend", {{"start", backend_rss_start}, {"end", backend_rss_end}}},
                   {"samples", rss_samples}}},
      {"tenants", tenants},
      {"errors", tally.errors},
      {"passed", passed},
  };
  std::cout << "soak: " << calls << " calls in " << static_cast<long>(elapsed) << " s (" << worker_count << " workers, "
            << active.size() << " users, " << client::hosted_tenants().size() << " tenants)\n"
            << "  errors: calls " << call_errors << ", refreshes " << tally.refresh_errors << "/" << tally.refreshes << ", revocations "
            << tally.revocation_errors << "/" << tally.revocations << ", sign-ins " << tally.sign_in_errors << "/" << tally.sign_ins << "\n"
            << "  log records " << records << ": lost " << lost << ", unexplained " << extra << "; cross-region calls " << cross_region << "\n"
            << "  RSS KiB: connector " << connector_rss_start << " -> " << connector_rss_end << ", backend " << backend_rss_start << " -> "
            << backend_rss_end << "\n";
  for (const auto& message : tally.errors) std::cout << "  error: " << message << "\n";
  std::cout << (passed ? "soak PASSED\n" : "soak FAILED\n");
  if (options.json_file) {
    std::ofstream out(*options.json_file, std::ios::trunc);
    out << report.dump(2) << "\n";
    if (!out.flush()) {
      std::cerr << "mcpcert bench --soak: cannot write " << options.json_file->string() << "\n";
      return 1;
    }
  }
  return passed ? 0 : 1;
}

} // namespace mcpcert::bench
