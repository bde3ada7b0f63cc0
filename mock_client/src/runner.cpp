#include "mcpcert/mock_client/runner.hpp"

#include <map>
#include <optional>

#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"

namespace mcpcert::client {

namespace {

using nlohmann::json;

constexpr const char* scripted_client_id = "mcpcert-scripted-client";
// Loopback redirect URI (RFC 8252 section 7.3): the client reads the code from
// the Location header, so nothing needs to listen on it.
constexpr const char* scripted_redirect_uri = "http://127.0.0.1:47011/callback";

struct Identity {
  std::string user;
  TokenSet tokens;
  std::optional<McpClient> mcp;
};

std::string describe_reply(const McpReply& reply) {
  if (reply.http.status == 0) return "no response: " + reply.http.transport_error;
  std::string text = "HTTP " + std::to_string(reply.http.status);
  if (reply.has_error()) {
    const auto& error = reply.message["error"];
    text += ", JSON-RPC error " + std::to_string(error.value("code", 0)) + " \"" + error.value("message", "") + "\"";
  } else if (reply.is_tool_error()) {
    text += ", tool result with isError";
  } else if (reply.has_result()) {
    text += ", result";
  }
  return text;
}

class ScenarioExecution {
public:
  ScenarioExecution(const Scenario& scenario, World& world) : scenario_(scenario), world_(world), agent_(transcript_) {}

  bool run_step(const ScenarioStep& step, StepRecord& record) {
    const auto first_exchange = transcript_.size();
    bool passed = false;
    if (step.kind == "authorize") passed = authorize(step.args, record);
    else if (step.kind == "connect") passed = connect(step.args, record);
    else if (step.kind == "call_tool") passed = call_tool(step.args, record);
    else if (step.kind == "admin") passed = admin(step.args, record);
    else if (step.kind == "assert_audit") passed = assert_audit(step.args, record);
    else record.summary = "unknown step kind " + step.kind;
    for (auto i = first_exchange; i < transcript_.size(); ++i) record.exchanges.push_back(transcript_.exchange(i));
    record.passed = passed;
    return passed;
  }

private:
  Identity* identity(const std::string& name, StepRecord& record) {
    auto it = identities_.find(name);
    if (it == identities_.end()) {
      record.summary = "no identity '" + name + "': authorize it first";
      return nullptr;
    }
    return &it->second;
  }

  bool authorize(const json& args, StepRecord& record) {
    const std::string as = args["as"];
    const std::string user = args.value("user", as);
    const auto tenant = world_.tenant(scenario_.tenant);
    if (!tenant) {
      record.summary = "tenant '" + scenario_.tenant + "' is not part of this world";
      return false;
    }
    std::optional<TestUser> credentials;
    for (const auto& candidate : world_.users(scenario_.tenant)) {
      if (candidate.username == user) credentials = candidate;
    }
    if (!credentials) {
      record.summary = "tenant '" + scenario_.tenant + "' has no test user '" + user + "'";
      return false;
    }
    OAuthClient oauth(agent_, {scripted_client_id, scripted_redirect_uri});
    auto outcome = oauth.authorize(world_.mcp_url(), tenant->issuer, {credentials->username, credentials->password}, args["scope"]);
    const std::string expected = args.contains("expect") ? args["expect"]["outcome"].get<std::string>() : "granted";
    if (outcome.tokens) {
      // A re-authorization replaces the identity, session included.
      identities_.erase(as);
      identities_.emplace(as, Identity{user, *outcome.tokens, std::nullopt});
      record.observed = {{"token_claims", outcome.tokens->access_claims}};
      record.summary = user + " authorized (code + PKCE S256, consent), token for " +
                       outcome.tokens->access_claims.value("aud", json("?")).dump();
      if (expected == "granted") return true;
      record.summary += ", but a refusal was expected";
      return false;
    }
    record.summary = user + " not authorized at step " + outcome.failed_step + ": " + outcome.failure;
    if (expected == "refused") {
      const auto wanted_error = args["expect"].value("error", "");
      if (!wanted_error.empty() && wanted_error != outcome.oauth_error) {
        record.summary += " (expected OAuth error '" + wanted_error + "')";
        return false;
      }
      return true;
    }
    return false;
  }

  bool connect(const json& args, StepRecord& record) {
    auto* who = identity(args["as"], record);
    if (who == nullptr) return false;
    who->mcp.emplace(agent_, world_.mcp_url(), who->tokens.access_token);
    auto reply = who->mcp->connect(args["protocol_version"]);
    const int expected_status = args.contains("expect") ? args["expect"].value("status", 200) : 200;
    record.summary = "initialize: " + describe_reply(reply);
    if (reply.http.status != expected_status) {
      record.summary += " (expected HTTP " + std::to_string(expected_status) + ")";
      return false;
    }
    if (expected_status == 200) {
      if (!reply.has_result() || who->mcp->session_id().empty()) {
        record.summary += " without a result and a session id";
        return false;
      }
      record.summary += ", protocol " + who->mcp->protocol_version();
    }
    return true;
  }

  bool call_tool(const json& args, StepRecord& record) {
    auto* who = identity(args["as"], record);
    if (who == nullptr) return false;
    if (!who->mcp) {
      record.summary = "'" + args["as"].get<std::string>() + "' has no MCP session: add a connect step";
      return false;
    }
    const std::string tool = args["tool"];
    auto reply = who->mcp->call_tool(tool, args.value("arguments", json::object()));
    record.summary = "tools/call " + tool + ": " + describe_reply(reply);
    record.observed = {{"status", reply.http.status}, {"message", reply.message.is_discarded() ? json(nullptr) : reply.message}};

    const auto& expect = args["expect"];
    const std::string outcome = expect["outcome"];
    const bool data_served = reply.http.status == 200 && reply.has_result() && !reply.is_tool_error();
    bool matched = false;
    if (outcome == "success") matched = data_served;
    // A permission error may take any of the shapes MCP allows for a refusal,
    // as long as no data comes back: HTTP 401/403, a JSON-RPC error, or a tool error.
    else if (outcome == "permission_error")
      matched = !data_served && (reply.http.status == 401 || reply.http.status == 403 || reply.has_error() || reply.is_tool_error());
    else if (outcome == "tool_error") matched = reply.http.status == 200 && reply.is_tool_error();
    else if (outcome == "jsonrpc_error") matched = reply.has_error();
    if (matched && expect.contains("status") && reply.http.status != expect["status"].get<int>()) {
      record.summary += " (expected HTTP " + std::to_string(expect["status"].get<int>()) + ")";
      return false;
    }
    if (matched && expect.contains("error_code") &&
        (!reply.has_error() || reply.message["error"].value("code", 0) != expect["error_code"].get<int>())) {
      record.summary += " (expected JSON-RPC error code " + std::to_string(expect["error_code"].get<int>()) + ")";
      return false;
    }
    if (!matched) record.summary += " (expected " + outcome + ")";
    return matched;
  }

  bool admin(const json& args, StepRecord& record) {
    const std::string action = args["action"];
    const bool granted = action == "grant_mcp_access";
    auto reply = world_.control(agent_, "POST", "/control/tenants/" + scenario_.tenant + "/admin/mcp-access",
                                {{"user", args["user"]}, {"entity", args["entity"]}, {"granted", granted}});
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("audit_seq")) {
      record.summary = "admin " + action + " failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    if (args.contains("mark")) marks_[args["mark"]] = body["audit_seq"].get<std::int64_t>();
    record.summary = "admin " + action + " for " + args["user"].get<std::string>() + " on " + args["entity"].get<std::string>() +
                     " (audit position " + std::to_string(body["audit_seq"].get<std::int64_t>()) + ")";
    return true;
  }

  bool assert_audit(const json& args, StepRecord& record) {
    std::int64_t since = 0;
    if (args.contains("after")) since = marks_.at(args["after"]);
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + scenario_.tenant + "/audit?since_seq=" + std::to_string(since));
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("records")) {
      record.summary = "reading the backend audit failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    // A subject names an authorized identity (its token's sub) or, failing that, a user id.
    std::string subject;
    if (args.contains("subject")) {
      subject = args["subject"];
      if (auto it = identities_.find(subject); it != identities_.end()) subject = it->second.tokens.access_claims.value("sub", subject);
    }
    json matched = json::array();
    for (const auto& row : body["records"]) {
      if (row.value("seq", std::int64_t{0}) <= since) continue;
      if (args["listener"] != "any" && row.value("listener", "") != args["listener"]) continue;
      if (!subject.empty() && row.value("subject", "") != subject) continue;
      if (args.contains("actor") && row.value("actor", "") != args["actor"]) continue;
      if (args.contains("region") && row.value("region", "") != args["region"]) continue;
      const int status = row.value("status", 0);
      const bool success = status >= 200 && status < 300;
      if (args["outcome"] == "success" && !success) continue;
      if (args["outcome"] == "failure" && success) continue;
      matched.push_back(row);
    }
    const auto count = static_cast<std::int64_t>(matched.size());
    record.observed = {{"matching_records", matched}, {"since_seq", since}};
    record.summary = "backend audit: " + std::to_string(count) + " matching record(s) after position " + std::to_string(since);
    bool ok = true;
    if (args.contains("count") && count != args["count"].get<std::int64_t>()) ok = false;
    if (args.contains("min") && count < args["min"].get<std::int64_t>()) ok = false;
    if (args.contains("max") && count > args["max"].get<std::int64_t>()) ok = false;
    if (!ok) {
      record.summary += " (expected";
      if (args.contains("count")) record.summary += " exactly " + std::to_string(args["count"].get<std::int64_t>());
      if (args.contains("min")) record.summary += " at least " + std::to_string(args["min"].get<std::int64_t>());
      if (args.contains("max")) record.summary += " at most " + std::to_string(args["max"].get<std::int64_t>());
      record.summary += ")";
    }
    return ok;
  }

  const Scenario& scenario_;
  World& world_;
  Transcript transcript_;
  HttpAgent agent_;
  std::map<std::string, Identity> identities_;
  std::map<std::string, std::int64_t> marks_;
};

} // namespace

ScenarioResult run_scenario(const Scenario& scenario, const WorldOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ScenarioResult result;
  result.name = scenario.name;
  result.title = scenario.title;
  result.file = scenario.file.string();
  result.claims = scenario.claims;
  result.notice = scenario.notice;

  std::string error;
  auto world = World::start(options, error);
  if (!world) {
    result.verdict = Verdict::failed;
    result.reason = "the world could not start: " + error;
  } else {
    ScenarioExecution execution(scenario, *world);
    result.verdict = Verdict::passed;
    for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
      const auto& step = scenario.steps[i];
      StepRecord record;
      record.index = i + 1;
      record.kind = step.kind;
      record.line = step.line;
      const bool passed = execution.run_step(step, record);
      result.steps.push_back(std::move(record));
      if (!passed) {
        // Later steps build on earlier ones; running them would only add noise.
        result.verdict = Verdict::failed;
        result.reason = "step " + std::to_string(i + 1) + " (" + step.kind + ", line " + std::to_string(step.line) +
                        "): " + result.steps.back().summary;
        break;
      }
    }
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return result;
}

std::vector<ClaimResult> verdicts_by_claim(const std::vector<ScenarioResult>& results) {
  std::vector<ClaimResult> claims;
  for (const auto& info : claim_catalogue()) {
    ClaimResult claim{std::string(info.id), Verdict::passed, {}};
    for (const auto& result : results) {
      if (std::find(result.claims.begin(), result.claims.end(), info.id) == result.claims.end()) continue;
      claim.scenarios.push_back(&result);
      if (result.verdict == Verdict::failed) claim.verdict = Verdict::failed;
    }
    if (!claim.scenarios.empty()) claims.push_back(std::move(claim));
  }
  return claims;
}

} // namespace mcpcert::client
