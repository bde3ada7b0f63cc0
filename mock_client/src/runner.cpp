#include "mcpcert/mock_client/runner.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_client/expectation.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"
#include "mcpcert/mock_client/token_forgery.hpp"

namespace mcpcert::client {

namespace {

using nlohmann::json;

constexpr const char* scripted_client_id = "mcpcert-scripted-client";
// Loopback redirect URI (RFC 8252 section 7.3): the client reads the code from
// the Location header, so nothing needs to listen on it.
constexpr const char* scripted_redirect_uri = "http://127.0.0.1:47011/callback";

enum class StepOutcome { passed, failed, skipped };

struct Identity {
  std::string user;
  TokenSet tokens;
  std::string previous_refresh_token; ///< the one the last refresh used (and should have killed)
  std::optional<McpClient> mcp;
};

std::string describe_reply(const McpReply& reply) {
  if (reply.http.status == 0) return "no response: " + reply.http.transport_error;
  std::string text = "HTTP " + std::to_string(reply.http.status);
  if (reply.has_error()) {
    const auto& error = reply.message["error"];
    text += ", JSON-RPC error " + error.value("code", json(0)).dump() + " \"" + error.value("message", "") + "\"";
  } else if (reply.is_tool_error()) {
    text += ", tool result with isError";
  } else if (reply.has_result()) {
    text += ", result";
  }
  return text;
}

std::string join(const std::vector<std::string>& items, const char* separator = "; ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  ::gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// A few milliseconds into a fresh second: virtual clocks are the machine's
// clock shifted by whole seconds and tokens carry whole seconds, so a check at
// "token age N" is only exact if no second boundary passes meanwhile.
void wait_for_fresh_second() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto into_second = std::chrono::duration_cast<std::chrono::milliseconds>(now) % std::chrono::seconds(1);
  if (into_second > std::chrono::milliseconds(400)) {
    std::this_thread::sleep_for(std::chrono::seconds(1) - into_second + std::chrono::milliseconds(20));
  }
}

// "POST tools/list to the MCP URL", "POST a batch of 2 to ...", plus the
// headers the scenario set on purpose: the line a reader needs to see why.
std::string describe_request(const json& args) {
  std::string text = args["method"].get<std::string>();
  if (args.contains("json")) {
    const auto& message = args["json"];
    if (message.is_object() && message.contains("method") && message["method"].is_string()) text += " " + message["method"].get<std::string>();
    else if (message.is_array()) text += " a batch of " + std::to_string(message.size());
    else text += " a JSON body";
  } else if (args.contains("body")) {
    text += " a raw body";
  }
  text += " to " + (args.contains("path") ? args["path"].get<std::string>()
                    : args.contains("url") ? args["url"].get<std::string>()
                                           : std::string("the MCP URL"));
  if (args.contains("headers")) {
    std::vector<std::string> set;
    for (const auto& [name, value] : args["headers"].items()) set.push_back(value.is_null() ? "no " + name : name + ": " + value.get<std::string>());
    text += " (" + join(set, ", ") + ")";
  }
  return text;
}

class ScenarioExecution {
public:
  ScenarioExecution(const Scenario& scenario, World& world) : scenario_(scenario), world_(world), agent_(transcript_, world.trusted_certificate_file()) {
    placeholders_ = {{"mcp_url", world_.mcp_url()}, {"tenant", scenario_.tenant}};
    if (auto url = http::parse_url(world_.mcp_url())) placeholders_["mcp_origin"] = url->origin();
    if (auto tenant = world_.tenant(scenario_.tenant)) {
      placeholders_["issuer"] = tenant->issuer;
      placeholders_["api"] = tenant->api;
    }
  }

  StepOutcome run_step(const ScenarioStep& step, StepRecord& record) {
    const auto first_exchange = transcript_.size();
    StepOutcome outcome = StepOutcome::failed;
    try {
      outcome = dispatch(step, record);
    } catch (const std::exception& e) {
      // A reply of the wrong shape (a string where a number belongs) is the
      // target's fault: it fails this step, never the whole run.
      record.summary = "the reply could not be evaluated: " + std::string(e.what());
      outcome = StepOutcome::failed;
    }
    for (auto i = first_exchange; i < transcript_.size(); ++i) record.exchanges.push_back(transcript_.exchange(i));
    record.passed = outcome == StepOutcome::passed;
    record.skipped = outcome == StepOutcome::skipped;
    return outcome;
  }

private:
  StepOutcome dispatch(const ScenarioStep& step, StepRecord& record) {
    StepOutcome outcome = StepOutcome::failed;
    auto verdict = [](bool passed) { return passed ? StepOutcome::passed : StepOutcome::failed; };
    if (step.kind == "authorize") outcome = verdict(authorize(step.args, record));
    else if (step.kind == "connect") outcome = verdict(connect(step.args, record));
    else if (step.kind == "call_tool") outcome = verdict(call_tool(step.args, record));
    else if (step.kind == "admin") outcome = verdict(admin(step.args, record));
    else if (step.kind == "assert_audit") outcome = assert_audit(step.args, record);
    else if (step.kind == "mark_audit") outcome = verdict(mark_audit(step.args, record));
    else if (step.kind == "raw_request") outcome = verdict(raw_request(step.args, record));
    else if (step.kind == "advance_clock") outcome = advance_clock(step.args, record);
    else if (step.kind == "refresh") outcome = verdict(refresh(step.args, record));
    else if (step.kind == "list_tools") outcome = verdict(list_tools(step.args, record));
    else record.summary = "unknown step kind " + step.kind;
    return outcome;
  }

  Identity* identity(const std::string& name, StepRecord& record) {
    auto it = identities_.find(name);
    if (it == identities_.end()) {
      record.summary = "no identity '" + name + "': authorize it first";
      return nullptr;
    }
    return &it->second;
  }

  Identity* connected(const std::string& name, StepRecord& record) {
    auto* who = identity(name, record);
    if (who != nullptr && !who->mcp) {
      record.summary = "'" + name + "' has no MCP session: add a connect step";
      return nullptr;
    }
    return who;
  }

  // A subject names an authorized identity (its token's sub) or, failing that, a user id.
  std::string subject_id(const std::string& name) const {
    if (auto it = identities_.find(name); it != identities_.end()) return it->second.tokens.access_claims.value("sub", name);
    return name;
  }

  // Adds the scenario's expectations beyond call_tool's outcome; returns false when one failed.
  bool check_expectations(const json& expect, const HttpReply& reply, const json& message, StepRecord& record) {
    const auto mismatches = check_reply(expect, reply, message, placeholders_);
    if (mismatches.empty()) return true;
    record.summary += " (" + join(mismatches) + ")";
    return false;
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
      identities_.emplace(as, Identity{user, *outcome.tokens, {}, std::nullopt});
      record.observed = {{"token_claims", outcome.tokens->access_claims}};
      record.summary = user + " authorized (code + PKCE S256, consent), token for " +
                       outcome.tokens->access_claims.value("aud", json("?")).dump();
      if (expected == "granted") return true;
      record.summary += ", but a refusal was expected";
      return false;
    }
    record.summary = user + " not authorized at step " + outcome.failed_step + ": " + outcome.failure;
    record.observed = {{"failed_step", outcome.failed_step}, {"oauth_error", outcome.oauth_error}};
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
    auto* who = connected(args["as"], record);
    if (who == nullptr) return false;
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
    if (!matched) {
      record.summary += " (expected " + outcome + ")";
      return false;
    }
    if (expect.contains("status") && reply.http.status != expect["status"].get<int>()) {
      record.summary += " (expected HTTP " + std::to_string(expect["status"].get<int>()) + ")";
      return false;
    }
    if (expect.contains("error_code") &&
        (!reply.has_error() || reply.message["error"].value("code", 0) != expect["error_code"].get<int>())) {
      record.summary += " (expected JSON-RPC error code " + std::to_string(expect["error_code"].get<int>()) + ")";
      return false;
    }
    return check_expectations(expect, reply.http, reply.message, record);
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

  bool mark_audit(const json& args, StepRecord& record) {
    // A since_seq beyond any record returns none, but still the last position.
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + scenario_.tenant + "/audit?since_seq=9223372036854775807");
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("last_seq") || !body["last_seq"].is_number_integer()) {
      record.summary = "reading the audit position failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    const auto position = body["last_seq"].get<std::int64_t>();
    marks_[args["mark"]] = position;
    record.summary = "audit position " + std::to_string(position) + " marked as '" + args["mark"].get<std::string>() + "'";
    return true;
  }

  StepOutcome assert_audit(const json& args, StepRecord& record) {
    std::int64_t since = 0;
    if (args.contains("after")) since = marks_.at(args["after"]);
    std::optional<std::int64_t> until;
    if (args.contains("before")) until = marks_.at(args["before"]);
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + scenario_.tenant + "/audit?since_seq=" + std::to_string(since));
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("records")) {
      record.summary = "reading the backend audit failed: HTTP " + std::to_string(reply.status);
      return StepOutcome::failed;
    }
    const std::string subject = args.contains("subject") ? subject_id(args["subject"]) : std::string{};
    std::string bearer_digest;
    if (args.contains("token_of")) {
      auto* who = identity(args["token_of"], record);
      if (who == nullptr) return StepOutcome::failed;
      bearer_digest = hex_encode(sha256(who->tokens.access_token));
    }
    json matched = json::array();
    bool any_bearer_digest = false;
    for (const auto& row : body["records"]) {
      const auto seq = row.value("seq", std::int64_t{0});
      if (seq <= since || (until && seq > *until)) continue;
      if (args["listener"] != "any" && row.value("listener", "") != args["listener"]) continue;
      any_bearer_digest = any_bearer_digest || row.contains("bearer_sha256");
      if (!subject.empty() && row.value("subject", "") != subject) continue;
      if (args.contains("actor") && row.value("actor", "") != args["actor"]) continue;
      if (args.contains("region") && row.value("region", "") != args["region"]) continue;
      const int status = row.value("status", 0);
      const bool success = status >= 200 && status < 300;
      if (args["outcome"] == "success" && !success) continue;
      if (args["outcome"] == "failure" && success) continue;
      if (!bearer_digest.empty() && lower(row.value("bearer_sha256", "")) != bearer_digest) continue;
      matched.push_back(row);
    }
    const auto count = static_cast<std::int64_t>(matched.size());
    record.observed = {{"matching_records", matched}, {"since_seq", since}};
    if (until) record.observed["until_seq"] = *until;
    std::string window = "after position " + std::to_string(since) + (until ? " up to " + std::to_string(*until) : "");
    record.summary = "backend audit: " + std::to_string(count) + " matching record(s) " + window;
    if (!bearer_digest.empty() && !any_bearer_digest) {
      // Without the digest every count of "records carrying this token" is zero, proving nothing.
      record.summary = "the backend's audit records carry no bearer_sha256, so which token reached it cannot be told";
      return StepOutcome::skipped;
    }
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
    if (args.contains("every")) ok = check_every(args["every"], matched, record) && ok;
    return ok ? StepOutcome::passed : StepOutcome::failed;
  }

  bool check_every(const json& every, const json& rows, StepRecord& record) {
    if (rows.empty()) {
      record.summary += "; 'every' needs at least one record to hold for";
      return false;
    }
    std::map<std::string, std::string> wanted;
    if (every.contains("subject")) wanted["subject"] = subject_id(every["subject"]);
    if (every.contains("actor")) wanted["actor"] = every["actor"].get<std::string>();
    if (every.contains("region")) wanted["region"] = every["region"].get<std::string>();
    json violations = json::array();
    for (const auto& row : rows) {
      std::vector<std::string> wrong;
      for (const auto& [field, value] : wanted) {
        if (row.value(field, "") != value) wrong.push_back(field + " = " + (row.contains(field) ? row[field].dump() : "(absent)"));
      }
      if (every.contains("outcome")) {
        const int status = row.value("status", 0);
        const bool success = status >= 200 && status < 300;
        if (success != (every["outcome"] == "success")) wrong.push_back("status = " + std::to_string(status));
      }
      if (!wrong.empty()) violations.push_back({{"seq", row.value("seq", json(nullptr))}, {"path", row.value("path", "")}, {"wrong", join(wrong, ", ")}});
    }
    std::vector<std::string> conditions;
    for (const auto& [field, value] : wanted) conditions.push_back(field + " = " + value);
    if (every.contains("outcome")) conditions.push_back("outcome " + every["outcome"].get<std::string>());
    record.observed["violations"] = violations;
    if (violations.empty()) {
      record.summary += ", every one with " + join(conditions, ", ");
      return true;
    }
    record.summary += "; " + std::to_string(violations.size()) + " record(s) break 'every " + join(conditions, ", ") +
                      "', first: seq " + violations[0]["seq"].dump() + " " + violations[0]["path"].get<std::string>() + " has " +
                      violations[0]["wrong"].get<std::string>();
    return false;
  }

  bool raw_request(const json& args, StepRecord& record) {
    const std::string method = args["method"];
    std::optional<std::string> bearer;
    std::string credential_note = "no token";
    const auto& token = args["token"];
    if (token["kind"] == "literal") {
      bearer = token["value"].get<std::string>();
      credential_note = "a literal token";
    } else if (token["kind"] == "identity") {
      auto* who = identity(token["of"], record);
      if (who == nullptr) return false;
      bearer = who->tokens.access_token;
      credential_note = token["of"].get<std::string>() + "'s token";
      if (token["tamper"] != "none" || token.contains("claims")) {
        auto forged = forge_token(*bearer, token["tamper"], token.value("claims", json()));
        if (!forged) {
          record.summary = token["of"].get<std::string>() + "'s access token is not a JWT, so it cannot be tampered with";
          return false;
        }
        bearer = *forged;
        credential_note += token["tamper"] == "none" ? " with altered claims" : " (" + token["tamper"].get<std::string>() + " tampered)";
      }
    }
    const bool token_in_query = bearer && args["token_in"] == "query";
    if (token_in_query) credential_note += " in the query string";

    std::string url = world_.mcp_url();
    if (args.contains("path")) url = placeholders_["mcp_origin"] + substitute(args["path"].get<std::string>(), placeholders_);
    if (args.contains("url")) url = substitute(args["url"].get<std::string>(), placeholders_);
    FormFields query;
    if (args.contains("query")) {
      for (const auto& [name, value] : args["query"].items()) query[name] = substitute(value.get<std::string>(), placeholders_);
    }
    // RFC 6750 section 2.3: the URI query parameter a resource server must not accept.
    if (token_in_query) query["access_token"] = *bearer;
    if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + encode_form(query);

    // Defaults a well-behaved client sends; the scenario's headers replace
    // them (or, given as null, drop them) to make a request malformed on purpose.
    std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json, text/event-stream"}};
    std::string body;
    if (args.contains("json")) body = substitute_json(args["json"], placeholders_).dump();
    if (args.contains("body")) body = substitute(args["body"].get<std::string>(), placeholders_);
    if (args.contains("json") || args.contains("body")) headers.emplace_back("Content-Type", "application/json");
    if (bearer && !token_in_query) headers.emplace_back("Authorization", "Bearer " + *bearer);
    if (args.contains("session")) {
      auto* who = connected(args["session"], record);
      if (who == nullptr) return false;
      headers.emplace_back("Mcp-Session-Id", who->mcp->session_id());
      headers.emplace_back("MCP-Protocol-Version", who->mcp->protocol_version());
      credential_note += ", " + args["session"].get<std::string>() + "'s session";
    }
    if (args.contains("headers")) {
      for (const auto& [name, value] : args["headers"].items()) {
        const auto key = lower(name);
        std::erase_if(headers, [&](const auto& header) { return lower(header.first) == key; });
        if (!value.is_null()) headers.emplace_back(name, substitute(value.get<std::string>(), placeholders_));
      }
    }

    HttpCall call{method, url, std::move(headers), std::move(body)};
    const auto reply = agent_.send(call);
    const auto message = reply_json(reply);
    record.summary = describe_request(args) + " with " + credential_note + ": ";
    if (reply.status == 0) {
      record.summary += "no response (" + reply.transport_error + ")";
    } else {
      record.summary += "HTTP " + std::to_string(reply.status);
      if (message.is_object() && message.contains("error") && message["error"].is_object() && message["error"].contains("code")) {
        record.summary += ", JSON-RPC error " + message["error"]["code"].dump();
      }
    }
    record.observed = {{"status", reply.status}, {"message", message.is_discarded() ? json(nullptr) : message}};
    if (auto challenge = reply.header("www-authenticate"); !challenge.empty()) record.observed["www_authenticate"] = challenge;
    return check_expectations(args["expect"], reply, message, record);
  }

  StepOutcome advance_clock(const json& args, StepRecord& record) {
    if (world_.connector_control_url().empty()) {
      record.summary = "the connector offers no control plane (no \"control\" in its READY line), so its clock cannot be moved";
      return StepOutcome::skipped;
    }
    std::int64_t seconds = 0;
    if (args.contains("seconds")) {
      seconds = args["seconds"];
      record.summary = "clocks advanced by " + std::to_string(seconds) + " s";
    } else {
      auto* who = identity(args["of"], record);
      if (who == nullptr) return StepOutcome::failed;
      const auto& claims = who->tokens.access_claims;
      if (!claims.is_object() || !claims.contains("iat") || !claims["iat"].is_number_integer()) {
        record.summary = args["of"].get<std::string>() + "'s access token has no integer iat to measure its age from";
        return StepOutcome::failed;
      }
      wait_for_fresh_second();
      // Advancing by zero returns the backend's virtual now, the time the issuer stamped the token with.
      auto reply = world_.control(agent_, "POST", "/control/clock/advance", {{"seconds", 0}});
      auto now = reply.json();
      if (reply.status != 200 || !now.is_object() || !now.contains("unix") || !now["unix"].is_number_integer()) {
        record.summary = "reading the backend's virtual time failed: HTTP " + std::to_string(reply.status);
        return StepOutcome::failed;
      }
      const auto age_now = now["unix"].get<std::int64_t>() - claims["iat"].get<std::int64_t>();
      const std::int64_t wanted = args["token_age"];
      seconds = wanted - age_now;
      if (seconds < 0) {
        record.summary = args["of"].get<std::string>() + "'s token is already " + std::to_string(age_now) + " s old, older than " +
                         std::to_string(wanted) + " s";
        return StepOutcome::failed;
      }
      record.summary = "clocks advanced by " + std::to_string(seconds) + " s: " + args["of"].get<std::string>() +
                       "'s access token is now " + std::to_string(wanted) + " s old";
    }
    if (auto problem = world_.advance_clock(agent_, seconds); !problem.empty()) {
      record.summary = problem;
      return StepOutcome::failed;
    }
    total_advance_ += seconds;
    record.observed = {{"advanced_seconds", seconds}, {"total_advanced_seconds", total_advance_}};
    return StepOutcome::passed;
  }

  bool refresh(const json& args, StepRecord& record) {
    const std::string as = args["as"];
    auto* who = identity(as, record);
    if (who == nullptr) return false;
    const bool previous = args["use"] == "previous";
    const auto presented = previous ? who->previous_refresh_token : who->tokens.refresh_token;
    const std::string which = previous ? "previous" : "current";
    if (presented.empty()) {
      record.summary = as + " has no " + which + " refresh token" + (previous ? " (refresh once first)" : "");
      return false;
    }
    OAuthClient oauth(agent_, {scripted_client_id, scripted_redirect_uri});
    auto outcome = oauth.refresh(who->tokens, presented, world_.mcp_url());
    const std::string expected = args.contains("expect") ? args["expect"]["outcome"].get<std::string>() : "granted";
    if (outcome.tokens) {
      const bool rotated = !outcome.tokens->refresh_token.empty() && outcome.tokens->refresh_token != presented;
      who->previous_refresh_token = presented;
      who->tokens = *outcome.tokens;
      if (who->mcp) who->mcp->set_access_token(who->tokens.access_token);
      record.observed = {{"token_claims", who->tokens.access_claims}, {"refresh_token_rotated", rotated}};
      record.summary = "refresh with " + as + "'s " + which + " refresh token: granted, new access token" +
                       (rotated ? ", refresh token rotated" : ", refresh token NOT rotated");
      if (expected != "granted") {
        record.summary += ", but a refusal was expected";
        return false;
      }
      if (args.contains("expect") && args["expect"].contains("rotated") && args["expect"]["rotated"].get<bool>() != rotated) {
        record.summary += rotated ? " (expected the same refresh token back)" : " (expected a new refresh token)";
        return false;
      }
      return true;
    }
    record.observed = {{"oauth_error", outcome.oauth_error}};
    record.summary = "refresh with " + as + "'s " + which + " refresh token refused: " + outcome.failure;
    if (expected != "refused") return false;
    const auto wanted_error = args["expect"].value("error", "");
    if (!wanted_error.empty() && wanted_error != outcome.oauth_error) {
      record.summary += " (expected OAuth error '" + wanted_error + "')";
      return false;
    }
    return true;
  }

  bool list_tools(const json& args, StepRecord& record) {
    auto* who = connected(args["as"], record);
    if (who == nullptr) return false;
    std::set<std::string> names;
    json params = json::object();
    // Pages are followed, bounded so a server that loops cannot hang the run.
    for (int page = 0; page < 20; ++page) {
      auto reply = who->mcp->request("tools/list", params);
      if (!reply.has_result() || !reply.message["result"].is_object() || !reply.message["result"].contains("tools") ||
          !reply.message["result"]["tools"].is_array()) {
        record.summary = "tools/list: " + describe_reply(reply) + " without a list of tools";
        return false;
      }
      for (const auto& tool : reply.message["result"]["tools"]) {
        if (tool.is_object() && tool.contains("name") && tool["name"].is_string()) names.insert(tool["name"].get<std::string>());
      }
      const auto& result = reply.message["result"];
      if (!result.contains("nextCursor") || !result["nextCursor"].is_string()) break;
      params = {{"cursor", result["nextCursor"]}};
    }
    std::set<std::string> wanted;
    for (const auto& name : args["expect"]["names"]) wanted.insert(name.get<std::string>());
    std::vector<std::string> missing, unexpected;
    std::set_difference(wanted.begin(), wanted.end(), names.begin(), names.end(), std::back_inserter(missing));
    std::set_difference(names.begin(), names.end(), wanted.begin(), wanted.end(), std::back_inserter(unexpected));
    record.observed = {{"tools", names}};
    record.summary = "tools/list: [" + join({names.begin(), names.end()}, ", ") + "]";
    if (missing.empty() && unexpected.empty()) return true;
    if (!missing.empty()) record.summary += "; missing: [" + join(missing, ", ") + "]";
    if (!unexpected.empty()) record.summary += "; not promised: [" + join(unexpected, ", ") + "]";
    return false;
  }

  const Scenario& scenario_;
  World& world_;
  Transcript transcript_;
  HttpAgent agent_;
  Placeholders placeholders_;
  std::map<std::string, Identity> identities_;
  std::map<std::string, std::int64_t> marks_;
  std::int64_t total_advance_ = 0;
};

} // namespace

ScenarioResult run_scenario(const Scenario& scenario, const WorldOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ScenarioResult result;
  result.name = scenario.name;
  result.title = scenario.title;
  result.file = scenario.file.string();
  result.family = scenario.file.parent_path().filename().string();
  result.claims = scenario.claims;
  result.tags = scenario.tags;
  result.notice = scenario.notice;
  result.started_at = utc_now_rfc3339();

  std::string error;
  std::unique_ptr<World> world;
  try {
    world = World::start(options, error);
  } catch (const std::exception& e) {
    error = std::string("unexpected answer while starting: ") + e.what();
  }
  if (!world) {
    result.verdict = Verdict::failed;
    result.reason = "the world could not start: " + error;
  } else {
    result.world = world->describe();
    ScenarioExecution execution(scenario, *world);
    result.verdict = Verdict::passed;
    for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
      const auto& step = scenario.steps[i];
      StepRecord record;
      record.index = i + 1;
      record.kind = step.kind;
      record.line = step.line;
      record.args = step.args;
      const auto outcome = execution.run_step(step, record);
      result.steps.push_back(std::move(record));
      if (outcome != StepOutcome::passed) {
        // Later steps build on earlier ones; running them would only add noise.
        result.verdict = outcome == StepOutcome::skipped ? Verdict::skipped : Verdict::failed;
        result.reason = "step " + std::to_string(i + 1) + " (" + step.kind + ", line " + std::to_string(step.line) +
                        "): " + result.steps.back().summary;
        break;
      }
    }
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return result;
}

std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios, const WorldOptions& options,
                                          const RunSettings& settings) {
  std::vector<ScenarioResult> results(scenarios.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0;
  auto worker = [&] {
    for (auto index = next++; index < scenarios.size(); index = next++) {
      const auto& scenario = scenarios[index];
      auto scenario_options = options;
      if (settings.keep_worlds) scenario_options.keep_dir = *settings.keep_worlds / scenario.name;
      results[index] = run_scenario(scenario, scenario_options);
      std::lock_guard lock(progress_mutex);
      ++done;
      if (settings.on_done) settings.on_done(results[index], done, scenarios.size());
    }
  };
  const auto jobs = std::clamp<std::size_t>(settings.jobs, 1, std::max<std::size_t>(scenarios.size(), 1));
  if (jobs == 1) {
    worker();
    return results;
  }
  std::vector<std::jthread> workers;
  for (std::size_t i = 0; i < jobs; ++i) workers.emplace_back(worker);
  workers.clear(); // joins
  return results;
}

std::vector<ClaimResult> verdicts_by_claim(const std::vector<ScenarioResult>& results) {
  std::vector<ClaimResult> claims;
  for (const auto& info : claim_catalogue()) {
    ClaimResult claim{std::string(info.id), Verdict::passed, {}};
    bool any_failed = false, any_passed = false;
    for (const auto& result : results) {
      if (std::find(result.claims.begin(), result.claims.end(), info.id) == result.claims.end()) continue;
      claim.scenarios.push_back(&result);
      any_failed = any_failed || result.verdict == Verdict::failed;
      any_passed = any_passed || result.verdict == Verdict::passed || result.verdict == Verdict::warning;
    }
    if (claim.scenarios.empty()) continue;
    claim.verdict = any_failed ? Verdict::failed : any_passed ? Verdict::passed : Verdict::skipped;
    claims.push_back(std::move(claim));
  }
  return claims;
}

} // namespace mcpcert::client
