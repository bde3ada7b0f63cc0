#include "mcpcert/mock_client/runner.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <latch>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/sse.hpp"
#include "mcpcert/tls.hpp"
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

// Where the operational log stood at a mark_log step: the last position of
// each store (positions are per store), and the records as they were then.
struct LogMark {
  std::map<std::string, std::int64_t> last_seq;
  json records = json::array();
};

// Record fields that say where a record sits, not what it says: no profile lists them.
bool bookkeeping_field(const std::string& name) { return name == "store" || name == "seq" || name == "kind"; }

// Every text a record holds, keys and values, for "this value must not appear".
void collect_texts(const json& value, std::vector<std::string>& into) {
  if (value.is_string()) into.push_back(value.get<std::string>());
  else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      into.push_back(key);
      collect_texts(item, into);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) collect_texts(item, into);
  } else {
    into.push_back(value.dump());
  }
}

std::string record_name(const json& row) {
  return row.value("store", std::string("?")) + "#" + (row.contains("seq") ? row["seq"].dump() : std::string("?"));
}

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
    placeholders_ = {{"mcp_url", mcp_url()}, {"shared_mcp_url", world_.mcp_url()}, {"tenant", scenario_.tenant}};
    if (auto url = http::parse_url(mcp_url())) placeholders_["mcp_origin"] = url->origin();
    // RFC 9728 section 3.1's location comes first: the well-known prefix, then the resource's path.
    if (auto metadata = protected_resource_metadata_urls(mcp_url()); !metadata.empty()) placeholders_["mcp_metadata_url"] = metadata.front();
    for (const auto& [id, tenant] : world_.tenants())
      if (auto own = world_.tenant_mcp_url(id); !own.empty()) placeholders_["tenant_mcp_url:" + id] = own;
    if (auto tenant = world_.tenant(scenario_.tenant)) {
      placeholders_["issuer"] = tenant->issuer;
      placeholders_["api"] = tenant->api;
    }
    placeholders_["decoy_resource"] = decoy_resource_url;
    placeholders_["client_metadata_document"] = world_.client_metadata_document_url();
  }

  /// A branch for one inner step of a concurrently step: a copy of the
  /// state so far, sending through the parent's transcript (which is
  /// thread-safe), so the parent's record of the step holds every exchange.
  ScenarioExecution(ScenarioExecution& parent, std::size_t /*branch*/)
      : scenario_(parent.scenario_),
        world_(parent.world_),
        agent_(parent.transcript_, parent.world_.trusted_certificate_file()),
        placeholders_(parent.placeholders_),
        identities_(parent.identities_),
        marks_(parent.marks_),
        log_marks_(parent.log_marks_),
        stale_audit_marks_(parent.stale_audit_marks_),
        labels_(parent.labels_),
        streams_(parent.streams_),
        total_advance_(parent.total_advance_) {}

  /// Before the first step: the texts any assert_audit looks for with
  /// `holding` are watched from the start, so every request carries the
  /// verdict on them. Returns why not, or empty.
  std::string watch_upstream_texts() {
    for (const auto& step : scenario_.steps) {
      if (step.kind != "assert_audit" || !step.args.contains("holding")) continue;
      for (const auto& value : step.args["holding"]) {
        const auto text = substitute(value.get<std::string>(), placeholders_);
        auto reply = world_.control(agent_, "POST", "/control/watch", {{"text", text}});
        if (reply.status != 201) {
          return "the backend would not watch its requests for '" + text + "' (assert_audit at line " + std::to_string(step.line) +
                 "): HTTP " + std::to_string(reply.status) + " " + reply.body.substr(0, 200);
        }
      }
    }
    return {};
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
    sync_identity_placeholders();
    StepOutcome outcome = StepOutcome::failed;
    auto verdict = [](bool passed) { return passed ? StepOutcome::passed : StepOutcome::failed; };
    if (step.kind == "authorize") outcome = verdict(authorize(step.args, record));
    else if (step.kind == "connect") outcome = verdict(connect(step.args, record));
    else if (step.kind == "call_tool") outcome = verdict(call_tool(step.args, record));
    else if (step.kind == "admin") outcome = verdict(admin(step.args, record));
    else if (step.kind == "plant_canary") outcome = verdict(plant_canary(step.args, record));
    else if (step.kind == "resume_stream") outcome = verdict(resume_stream(step.args, record));
    else if (step.kind == "inject_fault") outcome = verdict(inject_fault(step.args, record));
    else if (step.kind == "assert_permission_matrix") outcome = verdict(assert_permission_matrix(step.args, record));
    else if (step.kind == "assert_grants") outcome = verdict(assert_grants(step.args, record));
    else if (step.kind == "assert_audit") outcome = assert_audit(step.args, record);
    else if (step.kind == "mark_audit") outcome = verdict(mark_audit(step.args, record));
    else if (step.kind == "raw_request") outcome = verdict(raw_request(step.args, record));
    else if (step.kind == "advance_clock") outcome = advance_clock(step.args, record);
    else if (step.kind == "rewind_clock") outcome = rewind_clock(step.args, record);
    else if (step.kind == "refresh") outcome = verdict(refresh(step.args, record));
    else if (step.kind == "list_tools") outcome = verdict(list_tools(step.args, record));
    else if (step.kind == "tls_probe") outcome = tls_probe(step.args, record);
    else if (step.kind == "mark_log") outcome = mark_log(step.args, record);
    else if (step.kind == "assert_log") outcome = assert_log(step.args, record);
    else if (step.kind == "scan_storage") outcome = scan_storage(step.args, record);
    else if (step.kind == "restart_connector") outcome = verdict(restart_connector(step.args, record));
    else if (step.kind == "restart_backend") outcome = verdict(restart_backend(step.args, record));
    else if (step.kind == "concurrently") outcome = concurrently(step.args, record);
    else record.summary = "unknown step kind " + step.kind;
    return outcome;
  }

  // ${sub:NAME}, ${access_token:NAME}, ${refresh_token:NAME} and ${code:NAME}
  // follow the identities as authorize and refresh steps change them.
  void sync_identity_placeholders() {
    for (auto it = placeholders_.begin(); it != placeholders_.end();) {
      it = parse_identity_placeholder(it->first) ? placeholders_.erase(it) : std::next(it);
    }
    for (const auto& [name, who] : identities_) {
      const auto& claims = who.tokens.access_claims;
      const auto sub = claims.is_object() && claims.contains("sub") && claims["sub"].is_string() ? claims["sub"].get<std::string>() : std::string{};
      placeholders_["sub:" + name] = sub;
      placeholders_["access_token:" + name] = who.tokens.access_token;
      placeholders_["refresh_token:" + name] = who.tokens.refresh_token;
      placeholders_["code:" + name] = who.tokens.authorization_code;
    }
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

  /// The MCP URL the scenario speaks to: the shared one, or its tenant's own
  /// (`mcp_url: tenant`; empty when the connector has none, which the run
  /// refuses before the first step).
  std::string mcp_url() const { return scenario_.at_tenant_url ? world_.tenant_mcp_url(scenario_.tenant) : world_.mcp_url(); }

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
    // Scenarios that need more than a name were SKIPPED before the world started.
    if (world_.target() && !world_.target()->offers("oauth")) {
      identities_.erase(as);
      identities_.emplace(as, Identity{user, {}, {}, std::nullopt});
      record.summary = user + ": no sign-in, target " + world_.target()->name +
                       " has no authorization (its requests carry no Authorization header)";
      return true;
    }
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
    // The scripted client as pre-registered, or named by its metadata document
    // (nothing registered: the issuer fetches the document from the world).
    auto oauth = args.value("client", "pre_registered") == "metadata_document"
                     ? OAuthClient(agent_, ClientProfile{scripted_redirect_uri, {}, world_.client_metadata_document_url(), false})
                     : OAuthClient(agent_, ClientRegistration{scripted_client_id, scripted_redirect_uri});
    const auto resource = args.contains("resource") ? substitute(args["resource"].get<std::string>(), placeholders_) : std::string{};
    const auto user_credentials = world_.credentials_for(*credentials);
    auto outcome = oauth.authorize(mcp_url(), tenant->issuer, user_credentials, args["scope"], resource,
                                   args.value("consent", "approve") == "approve");
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
    who->mcp.emplace(agent_, mcp_url(), who->tokens.access_token);
    auto reply = who->mcp->connect(args["protocol_version"]);
    const int expected_status = args.contains("expect") ? args["expect"].value("status", 200) : 200;
    // The stateless revision opens no session: server/discover, then requests that stand alone.
    const bool stateless = args["protocol_version"] == "2026-07-28";
    record.summary = std::string(stateless ? "server/discover: " : "initialize: ") + describe_reply(reply);
    if (reply.http.status != expected_status) {
      record.summary += " (expected HTTP " + std::to_string(expected_status) + ")";
      return false;
    }
    if (expected_status == 200) {
      if (!reply.has_result() || (who->mcp->session_id().empty() && !stateless)) {
        record.summary += stateless ? " without a result" : " without a result and a session id";
        return false;
      }
      record.summary += ", protocol " + who->mcp->protocol_version();
    }
    return true;
  }

  bool call_tool(const json& args, StepRecord& record) {
    auto* who = connected(args["as"], record);
    if (who == nullptr) return false;
    std::string tool = args["tool"];
    json arguments = args.value("arguments", json::object());
    // A target whose tools are not ours says which of its own stands in for the one named.
    if (const auto& target = world_.target()) {
      if (auto mapped = target->tools.find(tool); mapped != target->tools.end()) {
        tool = mapped->second.name;
        if (mapped->second.arguments) arguments = *mapped->second.arguments;
      }
    }
    json params = {{"name", tool}, {"arguments", std::move(arguments)}};
    if (args.contains("progress_token")) params["_meta"] = {{"progressToken", args["progress_token"]}};
    auto reply = who->mcp->request("tools/call", std::move(params));
    record.summary = "tools/call " + tool + ": " + describe_reply(reply);
    record.observed = {{"status", reply.http.status}, {"message", reply.message.is_discarded() ? json(nullptr) : reply.message}};
    const auto request_id = reply.http.header("x-request-id");
    if (!request_id.empty()) record.observed["request_id"] = request_id;
    if (args.contains("label")) labels_[args["label"]] = request_id;
    const auto stream = sse_summary(reply.http);
    if (stream.is_streamed) {
      record.observed["sse"] = {{"events", stream.event_ids.size()}, {"progress", stream.progress}, {"primed", stream.primed}};
      if (args.contains("label")) streams_[args["label"]] = stream.stream_id;
    }

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
    if (expect.contains("progress_notifications")) {
      const auto wanted = expect["progress_notifications"].get<std::int64_t>();
      const bool ok = stream.is_streamed && stream.primed && stream.ordered &&
                      static_cast<std::int64_t>(stream.progress.size()) >= wanted;
      if (!ok) {
        record.summary += " (expected an SSE stream with a priming event and at least " + std::to_string(wanted) +
                          " progress notifications in order; got " +
                          (stream.is_streamed ? std::to_string(stream.progress.size()) + (stream.primed ? "" : ", no priming event")
                                              : std::string("no stream")) + ")";
        return false;
      }
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
    const std::string admin_path = "/control/tenants/" + scenario_.tenant + "/admin/";
    HttpReply reply;
    if (action == "revoke_mcp_access" || action == "grant_mcp_access") {
      if (!args.contains("entity")) {
        record.summary = "admin " + action + " needs an entity";
        return false;
      }
      reply = world_.control(agent_, "POST", admin_path + "mcp-access",
                             {{"user", args["user"]}, {"entity", args["entity"]}, {"granted", action == "grant_mcp_access"}});
    } else if (action == "rotate_credentials") {
      reply = world_.control(agent_, "POST", admin_path + "rotate-credentials", {{"user", args["user"]}});
    } else if (action == "set_role") {
      const std::string role = args["role"];
      reply = world_.control(agent_, "POST", admin_path + "role",
                             {{"user", args["user"]}, {"entity", args["entity"]}, {"role", role == "none" ? json(nullptr) : json(role)}});
    } else if (action == "set_department") {
      const std::string department = args["department"];
      reply = world_.control(agent_, "POST", admin_path + "membership",
                             {{"user", args["user"]}, {"department", department == "none" ? json(nullptr) : json(department)}});
    } else if (action == "join_team" || action == "leave_team") {
      reply = world_.control(agent_, "POST", admin_path + "membership",
                             {{"user", args["user"]}, {"team", args["team"]}, {"member", action == "join_team"}});
    } else {
      reply = world_.control(agent_, "POST", admin_path + "suspend", {{"user", args["user"]}, {"suspended", action == "suspend_user"}});
    }
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("audit_seq")) {
      record.summary = "admin " + action + " failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    if (args.contains("mark")) set_audit_mark(args["mark"], body["audit_seq"].get<std::int64_t>());
    record.summary = "admin " + action + " for " + args["user"].get<std::string>() +
                     (args.contains("entity") ? " on " + args["entity"].get<std::string>() : std::string{}) + " (audit position " + std::to_string(body["audit_seq"].get<std::int64_t>()) + ")";
    return true;
  }

  /// What an SSE reply to a tools/call carried.
  struct SseSummary {
    bool is_streamed = false;
    bool primed = false;  ///< the first event has an id and no data
    bool ordered = true;  ///< progress never went backwards
    std::string stream_id;
    std::vector<std::string> event_ids;
    std::vector<double> progress;
  };

  static SseSummary sse_summary(const HttpReply& reply) {
    SseSummary out;
    if (reply.header("content-type").rfind("text/event-stream", 0) != 0) return out;
    out.is_streamed = true;
    SseParser parser;
    auto events = parser.feed(reply.body);
    for (std::size_t i = 0; i < events.size(); ++i) {
      out.event_ids.push_back(events[i].id);
      if (i == 0) out.primed = !events[i].id.empty() && events[i].data.empty();
      auto data = json::parse(events[i].data, nullptr, false);
      if (data.is_object() && data.value("method", "") == "notifications/progress" && data["params"].contains("progress")) {
        const double value = data["params"]["progress"].get<double>();
        if (!out.progress.empty() && value < out.progress.back()) out.ordered = false;
        out.progress.push_back(value);
      }
    }
    if (!out.event_ids.empty()) {
      const auto& first = out.event_ids.front();
      out.stream_id = first.substr(0, first.rfind('-'));
    }
    return out;
  }

  // Resumption (Streamable HTTP, "Resumability and Redelivery"): GET with
  // Last-Event-ID on the identity's session replays the labelled call's
  // stream after that event, and nothing of any other stream.
  bool resume_stream(const json& args, StepRecord& record) {
    auto* who = connected(args["as"], record);
    if (who == nullptr) return false;
    const std::string label = args["label"];
    auto stream = streams_.find(label);
    if (stream == streams_.end() || stream->second.empty()) {
      record.summary = "call '" + label + "' was not answered with an SSE stream, so there is nothing to resume";
      return false;
    }
    const auto after = args.value("after_event", std::int64_t{0});
    const std::string last_event_id = stream->second + "-" + std::to_string(after);
    HttpCall call{"GET", mcp_url(),
                  {{"Accept", "text/event-stream"},
                   {"Authorization", "Bearer " + who->tokens.access_token},
                   {"Mcp-Session-Id", who->mcp->session_id()},
                   {"MCP-Protocol-Version", who->mcp->protocol_version()},
                   {"Last-Event-ID", last_event_id}},
                  ""};
    const auto reply = agent_.send(call);
    SseParser parser;
    const auto events = parser.feed(reply.body);
    record.observed = {{"status", reply.status}, {"events", events.size()}, {"last_event_id", last_event_id}};
    record.summary = "GET with Last-Event-ID " + last_event_id + " on " + args["as"].get<std::string>() + "'s session: HTTP " +
                     std::to_string(reply.status) + ", " + std::to_string(events.size()) + " event(s)";
    const auto& expect = args["expect"];
    const int wanted_status = expect.value("status", 200);
    if (reply.status != wanted_status) {
      record.summary += " (expected HTTP " + std::to_string(wanted_status) + ")";
      return false;
    }
    if (expect.contains("events") && static_cast<std::int64_t>(events.size()) != expect["events"].get<std::int64_t>()) {
      record.summary += " (expected " + expect["events"].dump() + " event(s))";
      return false;
    }
    for (const auto& event : events) {
      if (event.id.rfind(stream->second + "-", 0) != 0) {
        record.summary += " (event " + event.id + " is not of the resumed stream)";
        return false;
      }
    }
    return true;
  }

  // The tenant (the scenario's, or `tenant`) starts failing on one listener,
  // or heals with mode none; `mark` remembers the audit position.
  bool inject_fault(const json& args, StepRecord& record) {
    const std::string tenant = args.value("tenant", scenario_.tenant);
    json body = {{"mode", args["mode"]}, {"listener", args["listener"]}};
    if (args.contains("delay_ms")) body["delay_ms"] = args["delay_ms"];
    auto reply = world_.control(agent_, "POST", "/control/tenants/" + tenant + "/faults", body);
    auto answer = reply.json();
    if (reply.status != 200 || !answer.is_object() || !answer.contains("audit_seq")) {
      record.summary = "injecting a fault at " + tenant + " failed: HTTP " + std::to_string(reply.status) + " " + reply.body;
      return false;
    }
    if (args.contains("mark")) set_audit_mark(args["mark"], answer["audit_seq"].get<std::int64_t>());
    record.summary = tenant + "'s " + args["listener"].get<std::string>() + " listener: fault " + args["mode"].get<std::string>() +
                     (args.contains("delay_ms") ? " (" + args["delay_ms"].dump() + " ms)" : std::string{});
    return true;
  }

  // A unique marker planted in a node result or a finance figure; later
  // steps name it as ${canary:NAME} (e.g. to scan storage for it).
  bool plant_canary(const json& args, StepRecord& record) {
    json body = args.contains("entity") ? json{{"entity", args["entity"]}} : json{{"app", args["app"]}, {"node", args["node"]}};
    auto reply = world_.control(agent_, "POST", "/control/tenants/" + scenario_.tenant + "/canaries", body);
    auto answer = reply.json();
    if (reply.status != 201 || !answer.is_object() || !answer.contains("canary") || !answer["canary"].is_string()) {
      record.summary = "planting canary " + args["name"].get<std::string>() + " failed: HTTP " + std::to_string(reply.status) + " " +
                       reply.body;
      return false;
    }
    placeholders_["canary:" + args["name"].get<std::string>()] = answer["canary"].get<std::string>();
    record.observed = {{"canary", answer["canary"]}, {"planted_in", body}};
    record.summary = "canary " + args["name"].get<std::string>() + " planted in " + body.dump();
    return true;
  }

  // AUTHZ-EQUIV: every user x object x operation of the tenant's permission
  // matrix, done through the connector and compared with what the tenant's
  // own permission oracle says the user may do through an assistant. Users
  // are taken in the oracle's order, so one with broad rights goes first.
  bool assert_permission_matrix(const json& args, StepRecord& record) {
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + scenario_.tenant + "/oracle/matrix?objects=" +
                                                   args["objects"].get<std::string>());
    auto matrix = reply.json();
    if (reply.status != 200 || !matrix.is_object() || !matrix.contains("cells") || !matrix["cells"].is_array()) {
      record.summary = "reading the permission oracle failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    std::set<std::string> only_users;
    if (args.contains("users"))
      for (const auto& user : args["users"]) only_users.insert(user.get<std::string>());
    json mismatches = json::array();
    json decided = json::array();
    std::map<std::string, bool> signed_in;
    int write_number = 0;
    for (const auto& cell : matrix["cells"]) {
      const std::string user = cell["user"];
      if (!only_users.empty() && !only_users.contains(user)) continue;
      const std::string identity_name = "matrix:" + user;
      if (!signed_in.contains(user)) {
        StepRecord scratch;
        json authorize_args = {{"as", identity_name}, {"user", user}, {"scope", args["scope"]}, {"consent", "approve"},
                               {"expect", {{"outcome", "granted"}}}};
        bool ok = authorize(authorize_args, scratch) && connect({{"as", identity_name}, {"protocol_version", "2025-11-25"}}, scratch);
        signed_in[user] = ok;
      }
      const std::string object = cell["object"];
      const std::string operation = cell["operation"];
      const bool expected = cell["allowed_via_mcp"].get<bool>();
      bool allowed = false;
      std::string how = "sign-in refused";
      if (signed_in[user]) {
        auto call = matrix_call(object, operation, ++write_number);
        if (call.first.empty()) continue;
        auto& who = identities_.at(identity_name);
        auto result = who.mcp->call_tool(call.first, call.second);
        allowed = result.http.status == 200 && result.has_result() && !result.is_tool_error();
        how = call.first + " " + call.second.dump() + ": " + describe_reply(result);
      }
      json row = {{"user", user}, {"object", object}, {"operation", operation}, {"oracle_allows", expected},
                  {"connector_allowed", allowed}, {"reason", cell.value("reason", "")}, {"call", how}};
      if (allowed != expected) mismatches.push_back(row);
      decided.push_back(std::move(row));
    }
    record.observed = {{"cells", decided.size()}, {"mismatches", mismatches}};
    record.summary = std::to_string(decided.size()) + " cell(s) compared with the tenant's permission oracle, " +
                     std::to_string(mismatches.size()) + " mismatch(es)";
    if (!mismatches.empty()) {
      const auto& first = mismatches[0];
      record.summary += "; first: " + first["user"].get<std::string>() + " " + first["operation"].get<std::string>() + " " +
                        first["object"].get<std::string>() + " was " + (first["connector_allowed"].get<bool>() ? "allowed" : "refused") +
                        ", the product " + (first["oracle_allows"].get<bool>() ? "allows" : "refuses") + " it (" +
                        first["reason"].get<std::string>() + ")";
    }
    return decided.size() > 0 && mismatches.empty();
  }

  /// The tool call that performs `operation` on `object`; an empty name for cells the tool sets can't express.
  static std::pair<std::string, json> matrix_call(const std::string& object, const std::string& operation, int write_number) {
    const auto colon = object.find(':');
    const std::string kind = object.substr(0, colon);
    const std::string rest = object.substr(colon + 1);
    const auto slash = rest.find('/');
    const std::string app = rest.substr(0, slash);
    const std::string item = slash == std::string::npos ? std::string{} : rest.substr(slash + 1);
    if (kind == "app" && operation == "read") return {"get_application", {{"application", app}}};
    if (kind == "app" && operation == "write")
      return {"create_version", {{"application", app}, {"name", "matrix check " + std::to_string(write_number)}}};
    if (kind == "node" && operation == "read") return {"get_node_result", {{"application", app}, {"node", item}}};
    if (kind == "tool" && operation == "run") return {"run_app_tool", {{"application", app}, {"tool", item}}};
    if (kind == "entity" && operation == "read") return {"get_kpis", json::object()};
    return {"", json::object()};
  }

  // Consent is recorded as a grant on the user's account; the admin API lists them.
  bool assert_grants(const json& args, StepRecord& record) {
    const std::string user = args["user"];
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + scenario_.tenant + "/grants?user=" + url_encode(user));
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("grants") || !body["grants"].is_array()) {
      record.summary = "listing " + user + "'s grants failed: HTTP " + std::to_string(reply.status);
      return false;
    }
    json matched = json::array();
    for (const auto& grant : body["grants"]) {
      if (args.contains("client_id") && grant.value("client_id", "") != args["client_id"]) continue;
      const bool revoked = grant.value("revoked", false);
      if (args["state"] == "active" && revoked) continue;
      if (args["state"] == "revoked" && !revoked) continue;
      matched.push_back(grant);
    }
    const auto count = static_cast<std::int64_t>(matched.size());
    record.observed = {{"matching_grants", matched}};
    record.summary = user + " has " + std::to_string(count) + " matching grant(s)";
    bool ok = true;
    if (args.contains("count") && count != args["count"].get<std::int64_t>()) ok = false;
    if (args.contains("min") && count < args["min"].get<std::int64_t>()) ok = false;
    if (args.contains("max") && count > args["max"].get<std::int64_t>()) ok = false;
    if (!ok) record.summary += " (expected " + std::string(args.contains("count") ? "exactly " + args["count"].dump() : "") +
                               (args.contains("min") ? " at least " + args["min"].dump() : "") +
                               (args.contains("max") ? " at most " + args["max"].dump() : "") + ")";
    return ok;
  }

  void set_audit_mark(const std::string& name, std::int64_t position) {
    marks_[name] = position;
    stale_audit_marks_.erase(name);
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
    set_audit_mark(args["mark"], position);
    record.summary = "audit position " + std::to_string(position) + " marked as '" + args["mark"].get<std::string>() + "'";
    return true;
  }

  StepOutcome assert_audit(const json& args, StepRecord& record) {
    for (const char* bound : {"after", "before"}) {
      if (args.contains(bound) && stale_audit_marks_.contains(args[bound].get<std::string>())) {
        record.summary = "audit mark '" + args[bound].get<std::string>() +
                         "' was taken before the backend restarted, and its audit trail started anew: mark again after restart_backend";
        return StepOutcome::failed;
      }
    }
    std::int64_t since = 0;
    if (args.contains("after")) since = marks_.at(args["after"]);
    std::optional<std::int64_t> until;
    if (args.contains("before")) until = marks_.at(args["before"]);
    // Audit positions are process-wide, so a mark taken on one tenant bounds another's audit too.
    const std::string tenant = args.value("tenant", scenario_.tenant);
    auto reply = world_.control(agent_, "GET", "/control/tenants/" + tenant + "/audit?since_seq=" + std::to_string(since));
    auto body = reply.json();
    if (reply.status != 200 || !body.is_object() || !body.contains("records")) {
      record.summary = "reading the backend audit of tenant " + tenant + " failed: HTTP " + std::to_string(reply.status);
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
      if (args.contains("holding")) {
        const auto watched = row.contains("watched") && row["watched"].is_array() ? row["watched"] : json::array();
        const auto held = [&](const json& value) {
          const auto text = substitute(value.get<std::string>(), placeholders_);
          return std::any_of(watched.begin(), watched.end(), [&](const json& seen) { return seen == text; });
        };
        if (std::none_of(args["holding"].begin(), args["holding"].end(), held)) continue;
      }
      matched.push_back(row);
    }
    const auto count = static_cast<std::int64_t>(matched.size());
    record.observed = {{"matching_records", matched}, {"since_seq", since}};
    if (until) record.observed["until_seq"] = *until;
    std::string window = "after position " + std::to_string(since) + (until ? " up to " + std::to_string(*until) : "");
    record.summary = "backend audit of " + tenant + ": " + std::to_string(count) + " matching record(s) " + window;
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
      // An identity of a target without authorization has no token to send.
      if (!who->tokens.access_token.empty()) {
        bearer = who->tokens.access_token;
        credential_note = token["of"].get<std::string>() + "'s token";
      } else {
        credential_note = "no token (" + token["of"].get<std::string>() + " has none)";
      }
      if (token["tamper"] != "none" || token.contains("claims")) {
        auto forged = forge_token(bearer.value_or(""), token["tamper"], token.value("claims", json()));
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

    std::string url = mcp_url();
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
    if (world_.connector_control_url().empty() && !world_.real_time()) {
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

  StepOutcome rewind_clock(const json& args, StepRecord& record) {
    if (world_.connector_control_url().empty()) {
      record.summary = "the connector offers no control plane (no \"control\" in its READY line), so its clock cannot be moved";
      return StepOutcome::skipped;
    }
    const std::int64_t seconds = args["seconds"];
    if (auto problem = world_.advance_clock(agent_, -seconds); !problem.empty()) {
      record.summary = problem;
      return StepOutcome::failed;
    }
    total_advance_ -= seconds;
    record.summary = "clocks moved back by " + std::to_string(seconds) + " s";
    record.observed = {{"rewound_seconds", seconds}, {"total_advanced_seconds", total_advance_}};
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
    auto outcome = oauth.refresh(who->tokens, presented, who->tokens.resource.empty() ? mcp_url() : who->tokens.resource);
    const std::string expected = args.contains("expect") ? args["expect"]["outcome"].get<std::string>() : "granted";
    if (outcome.tokens) {
      const bool rotated = !outcome.tokens->refresh_token.empty() && outcome.tokens->refresh_token != presented;
      who->previous_refresh_token = presented;
      // The code stays the identity's: it is what the grant came from, and what storage must not hold.
      outcome.tokens->authorization_code = who->tokens.authorization_code;
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

  bool restart_connector(const json& args, StepRecord& record) {
    const bool crash = args["how"] == "crash";
    if (auto problem = world_.restart_connector(agent_, crash); !problem.empty()) {
      record.summary = problem;
      return false;
    }
    // The sessions lived in the process that is gone; a later call must connect again.
    for (auto& [name, who] : identities_) who.mcp.reset();
    record.summary = std::string("connector ") + (crash ? "killed (SIGKILL)" : "stopped (SIGTERM)") + " and started again at " + world_.mcp_url();
    return true;
  }

  StepOutcome concurrently(const json& args, StepRecord& record) {
    std::vector<ScenarioStep> inner;
    for (long long round = 0; round < args["times"].get<long long>(); ++round) {
      for (const auto& step : args["steps"]) inner.push_back({step["kind"], step["line"].get<int>(), step["args"]});
    }
    const auto started = inner.size();
    std::vector<std::unique_ptr<ScenarioExecution>> branches;
    for (std::size_t i = 0; i < started; ++i) branches.push_back(std::make_unique<ScenarioExecution>(*this, i));
    std::vector<StepRecord> records(started);
    std::vector<StepOutcome> outcomes(started, StepOutcome::failed);
    {
      // Every branch waits at the gate until all are ready, so the requests overlap.
      std::latch gate(static_cast<std::ptrdiff_t>(started));
      std::vector<std::jthread> threads;
      for (std::size_t i = 0; i < started; ++i) {
        threads.emplace_back([&, i] {
          records[i].index = i + 1;
          records[i].kind = inner[i].kind;
          records[i].line = inner[i].line;
          records[i].args = inner[i].args;
          gate.arrive_and_wait();
          outcomes[i] = branches[i]->run_step(inner[i], records[i]);
        });
      }
    }
    // What the steps that held changed (new tokens, a new session) carries on, in step order.
    std::size_t held = 0;
    json steps = json::array();
    for (std::size_t i = 0; i < started; ++i) {
      const bool passed = outcomes[i] == StepOutcome::passed;
      steps.push_back({{"kind", inner[i].kind}, {"line", inner[i].line}, {"passed", passed}, {"summary", records[i].summary}});
      if (!passed) continue;
      ++held;
      for (const auto& [name, who] : branches[i]->identities_) {
        auto mine = identities_.find(name);
        const bool changed = mine == identities_.end() || mine->second.tokens.access_token != who.tokens.access_token ||
                             mine->second.tokens.refresh_token != who.tokens.refresh_token;
        if (!changed) continue;
        if (mine != identities_.end()) identities_.erase(mine);
        identities_.emplace(name, who);
      }
    }
    const auto expected = args.contains("expect") ? args["expect"]["passed"].get<std::size_t>() : started;
    record.observed = {{"started", started}, {"held", held}, {"steps", steps}};
    record.summary = std::to_string(started) + " step(s) started together, " + std::to_string(held) + " held (expected " +
                     std::to_string(expected) + ")";
    if (held == expected) return StepOutcome::passed;
    for (std::size_t i = 0; i < started; ++i) {
      if (outcomes[i] != StepOutcome::passed) {
        record.summary += "; first that did not: " + inner[i].kind + " at line " + std::to_string(inner[i].line) + ": " + records[i].summary;
        break;
      }
    }
    return StepOutcome::failed;
  }

  bool restart_backend(const json& args, StepRecord& record) {
    const bool crash = args["how"] == "crash";
    if (auto problem = world_.restart_backend(agent_, crash); !problem.empty()) {
      record.summary = problem;
      return false;
    }
    // The audit trail belonged to the process that is gone; positions marked before mean nothing to the new one.
    for (const auto& [mark, position] : marks_) stale_audit_marks_.insert(mark);
    record.summary = std::string("backend ") + (crash ? "killed (SIGKILL)" : "stopped (SIGTERM)") +
                     " and started again on the same ports and state directory";
    return true;
  }

  StepOutcome tls_probe(const json& args, StepRecord& record) {
    const auto url = http::parse_url(world_.mcp_url());
    if (!url) {
      record.summary = "the MCP URL '" + world_.mcp_url() + "' does not parse";
      return StepOutcome::failed;
    }
    if (url->scheme != "https") {
      record.summary = "the MCP URL is plain http, so there is no TLS to probe here (check the TLS-terminating proxy in front of it)";
      return StepOutcome::skipped;
    }
    const std::string version = args["version"];
    const auto offered = version == "1.0" ? TlsVersion::tls1_0 : version == "1.1" ? TlsVersion::tls1_1 : version == "1.2" ? TlsVersion::tls1_2 : TlsVersion::tls1_3;
    const auto probe = probe_tls_handshake(url->host, url->port, offered);
    record.observed = {{"host", url->host}, {"port", url->port}, {"offered", to_string(offered)}, {"completed", probe.completed}};
    if (probe.completed) {
      record.observed["negotiated_version"] = probe.negotiated_version;
      record.observed["cipher"] = probe.cipher;
    } else {
      record.observed["error"] = probe.error;
    }
    record.summary = std::string("TLS handshake offering only ") + to_string(offered) + " to " + url->host + ":" + std::to_string(url->port) + ": " +
                     (probe.completed ? "completed (" + probe.negotiated_version + ", " + probe.cipher + ")" : "refused (" + probe.error + ")");
    const bool want_completed = args["expect"] == "completed";
    if (probe.completed != want_completed) {
      record.summary += want_completed ? " (expected it to complete)" : " (expected the server to refuse it)";
      return StepOutcome::failed;
    }
    return StepOutcome::passed;
  }

  // Reads the whole log; on failure says why in the record and how the step ends.
  std::optional<ConnectorLogExport> read_log(StepRecord& record, StepOutcome& failure) {
    auto log = world_.connector_log(agent_);
    if (log.problem.empty()) return log;
    record.summary = log.problem;
    failure = log.unsupported ? StepOutcome::skipped : StepOutcome::failed;
    return std::nullopt;
  }

  StepOutcome mark_log(const json& args, StepRecord& record) {
    StepOutcome failure = StepOutcome::failed;
    auto log = read_log(record, failure);
    if (!log) return failure;
    LogMark mark;
    for (const auto& row : log->records) {
      if (!row.is_object()) continue;
      auto& last = mark.last_seq[row.value("store", std::string{})];
      last = std::max(last, row.value("seq", std::int64_t{0}));
    }
    mark.records = log->records;
    record.observed = {{"positions", mark.last_seq}, {"records", log->records.size()}};
    std::vector<std::string> positions;
    for (const auto& [store, seq] : mark.last_seq) positions.push_back(store + " " + std::to_string(seq));
    record.summary = "operational log position marked as '" + args["mark"].get<std::string>() + "': " +
                     (positions.empty() ? std::string("empty log") : join(positions, ", "));
    log_marks_[args["mark"]] = std::move(mark);
    return StepOutcome::passed;
  }

  // The filters of assert_log: positions, then the fields a record must have these values in.
  bool log_record_matches(const json& args, const json& row) const {
    if (!row.is_object()) return false;
    const auto store = row.value("store", std::string{});
    const auto seq = row.value("seq", std::int64_t{0});
    if (args.contains("after")) {
      const auto& mark = log_marks_.at(args["after"]);
      if (auto it = mark.last_seq.find(store); it != mark.last_seq.end() && seq <= it->second) return false;
    }
    if (args.contains("before")) {
      const auto& mark = log_marks_.at(args["before"]);
      auto it = mark.last_seq.find(store);
      if (it == mark.last_seq.end() || seq > it->second) return false;
    }
    for (const char* field : {"kind", "tool", "outcome", "event", "tenant"}) {
      if (args.contains(field) && row.value(field, std::string{}) != args[field].get<std::string>()) return false;
    }
    if (args.contains("in_store") && store != args["in_store"].get<std::string>()) return false;
    if (args.contains("user") && row.value("user", std::string{}) != subject_id(args["user"])) return false;
    if (args.contains("holding")) {
      std::vector<std::string> texts;
      collect_texts(row, texts);
      const auto holds = [&](const json& value) {
        const auto wanted = substitute(value.get<std::string>(), placeholders_);
        return std::any_of(texts.begin(), texts.end(), [&](const std::string& text) { return text.find(wanted) != std::string::npos; });
      };
      if (std::none_of(args["holding"].begin(), args["holding"].end(), holds)) return false;
    }
    return true;
  }

  StepOutcome assert_log(const json& args, StepRecord& record) {
    StepOutcome failure = StepOutcome::failed;
    auto log = read_log(record, failure);
    if (!log) return failure;
    json matched = json::array();
    for (const auto& row : log->records) {
      if (log_record_matches(args, row)) matched.push_back(row);
    }
    const auto count = static_cast<std::int64_t>(matched.size());
    record.observed = {{"matching_records", matched}, {"records_in_log", log->records.size()}};
    record.summary = "operational log: " + std::to_string(count) + " matching record(s) of " + std::to_string(log->records.size());
    std::vector<std::string> problems;
    if (args.contains("count") && count != args["count"].get<std::int64_t>()) problems.push_back("expected exactly " + args["count"].dump());
    if (args.contains("min") && count < args["min"].get<std::int64_t>()) problems.push_back("expected at least " + args["min"].dump());
    if (args.contains("max") && count > args["max"].get<std::int64_t>()) problems.push_back("expected at most " + args["max"].dump());

    // Checks over every matching record prove nothing when none matches.
    const bool per_record = args.contains("fields") || args.contains("only_fields") || args.contains("store") || args.contains("absent");
    if (per_record && matched.empty()) problems.push_back("no record matches, so fields, only_fields, store and absent cannot hold for any");
    json violations = json::array();
    for (const auto& row : matched) {
      std::vector<std::string> wrong;
      if (args.contains("fields")) {
        for (const auto& field : args["fields"]) {
          if (!row.contains(field.get<std::string>())) wrong.push_back("lacks " + field.get<std::string>());
        }
      }
      if (args.contains("only_fields")) {
        const auto& allowed = args["only_fields"];
        for (const auto& [field, value] : row.items()) {
          if (!bookkeeping_field(field) && std::find(allowed.begin(), allowed.end(), field) == allowed.end()) wrong.push_back("has " + field);
        }
      }
      if (args.contains("store") && row.value("store", std::string{}) != args["store"].get<std::string>()) {
        wrong.push_back("is in store " + row.value("store", std::string("(none)")));
      }
      if (args.contains("absent")) {
        std::vector<std::string> texts;
        collect_texts(row, texts);
        for (const auto& value : args["absent"]) {
          const auto wanted = substitute(value.get<std::string>(), placeholders_);
          if (std::any_of(texts.begin(), texts.end(), [&](const std::string& text) { return text.find(wanted) != std::string::npos; })) {
            wrong.push_back("holds " + value.get<std::string>());
          }
        }
      }
      if (!wrong.empty()) violations.push_back({{"record", record_name(row)}, {"wrong", join(wrong, ", ")}});
    }
    if (!violations.empty()) {
      record.observed["violations"] = violations;
      problems.push_back(std::to_string(violations.size()) + " record(s) break the per-record checks, first: " +
                         violations[0]["record"].get<std::string>() + " " + violations[0]["wrong"].get<std::string>());
    }
    if (args.contains("request_ids_of")) check_request_ids(args["request_ids_of"], matched, record, problems);
    if (args.contains("unchanged_since")) check_unchanged(args, log->records, record, problems);
    if (problems.empty()) {
      auto listed = [](const json& list) {
        std::vector<std::string> items;
        for (const auto& item : list) items.push_back(item.get<std::string>());
        return join(items, ", ");
      };
      std::vector<std::string> held;
      if (args.contains("fields")) held.push_back("each with " + listed(args["fields"]));
      if (args.contains("only_fields")) held.push_back("none with a field outside the list");
      if (args.contains("store")) held.push_back("all in store " + args["store"].get<std::string>());
      if (args.contains("absent")) held.push_back("none holding " + listed(args["absent"]));
      if (args.contains("request_ids_of")) held.push_back("one record per request id of " + listed(args["request_ids_of"]));
      if (!held.empty()) record.summary += ", " + join(held, ", ");
      return StepOutcome::passed;
    }
    record.summary += " (" + join(problems) + ")";
    return StepOutcome::failed;
  }

  // Each labelled call's X-Request-Id names exactly one matching record.
  void check_request_ids(const json& wanted, const json& matched, StepRecord& record, std::vector<std::string>& problems) {
    json found = json::object();
    for (const auto& label_value : wanted) {
      const std::string label = label_value;
      const auto request_id = labels_.count(label) != 0 ? labels_.at(label) : std::string{};
      if (request_id.empty()) {
        problems.push_back("the call labelled '" + label + "' got no X-Request-Id header to look for");
        continue;
      }
      const auto hits = std::count_if(matched.begin(), matched.end(), [&](const json& row) { return row.value("request_id", std::string{}) == request_id; });
      found[label] = {{"request_id", request_id}, {"records", hits}};
      if (hits != 1) problems.push_back("call '" + label + "' (request id " + request_id + ") has " + std::to_string(hits) + " record(s), expected 1");
    }
    record.observed["request_ids"] = found;
  }

  // Records that matched at the mark and are still within its positions must be exported now exactly as then.
  void check_unchanged(const json& args, const json& now_records, StepRecord& record, std::vector<std::string>& problems) {
    const auto& mark = log_marks_.at(args["unchanged_since"]);
    auto within_mark = [&](const json& row) {
      auto it = mark.last_seq.find(row.value("store", std::string{}));
      return it != mark.last_seq.end() && row.value("seq", std::int64_t{0}) <= it->second;
    };
    std::map<std::string, std::string> now;
    for (const auto& row : now_records) {
      if (log_record_matches(args, row) && within_mark(row)) now[record_name(row)] = row.dump();
    }
    std::vector<std::string> missing, changed;
    std::size_t then_count = 0;
    for (const auto& row : mark.records) {
      if (!log_record_matches(args, row)) continue;
      ++then_count;
      auto it = now.find(record_name(row));
      if (it == now.end()) missing.push_back(record_name(row));
      else if (it->second != row.dump()) changed.push_back(record_name(row));
    }
    record.observed["unchanged_since"] = {{"mark", args["unchanged_since"]}, {"records_then", then_count}, {"missing", missing}, {"changed", changed}};
    if (then_count == 0) {
      problems.push_back("no record matched at mark '" + args["unchanged_since"].get<std::string>() + "', so nothing could stay unchanged");
      return;
    }
    if (!missing.empty()) problems.push_back(std::to_string(missing.size()) + " record(s) of mark '" + args["unchanged_since"].get<std::string>() + "' are gone, first " + missing.front());
    if (!changed.empty()) problems.push_back(std::to_string(changed.size()) + " record(s) changed since the mark, first " + changed.front());
    if (missing.empty() && changed.empty()) record.summary += ", " + std::to_string(then_count) + " record(s) byte for byte as at the mark";
  }

  StepOutcome scan_storage(const json& args, StepRecord& record) {
    const bool connector_log = args["target"] == "connector_log";
    const auto directory = connector_log ? world_.connector_log_directory() : world_.backend_state_directory();
    const std::string what = connector_log ? "the connector's log directory" : "the backend's state directory";
    // Labels (as the scenario wrote them) are what evidence shows: the values may be live tokens.
    auto resolve = [&](const json& list, std::vector<std::pair<std::string, std::string>>& into) {
      for (const auto& item : list) {
        const std::string label = item;
        const auto value = substitute(label, placeholders_);
        if (value.empty() || !placeholder_references(value).empty()) {
          record.summary = label + " has no value to look for (e.g. the identity holds no such token)";
          return false;
        }
        into.emplace_back(label, value);
      }
      return true;
    };
    std::vector<std::pair<std::string, std::string>> absent, present;
    if (!resolve(args["absent"], absent) || (args.contains("present") && !resolve(args["present"], present))) return StepOutcome::failed;

    std::error_code ec;
    json files = json::array();
    std::vector<std::pair<std::string, std::string>> contents; // relative name, bytes
    std::uintmax_t total = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(directory, ec); !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      // A file may vanish between listing and reading (a -shm file when its database closes): skip it, keep scanning.
      std::error_code file_ec;
      if (!it->is_regular_file(file_ec)) continue;
      std::ifstream in(it->path(), std::ios::binary);
      if (!in) continue;
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto name = std::filesystem::relative(it->path(), directory, file_ec).string();
      if (file_ec) name = it->path().string();
      files.push_back({{"file", name}, {"bytes", bytes.size()}});
      total += bytes.size();
      contents.emplace_back(name, std::move(bytes));
    }
    record.observed = {{"directory", directory.string()}, {"files", files}};
    if (contents.empty() || total == 0) {
      record.summary = what + " (" + directory.string() + ") holds no data to scan";
      return StepOutcome::skipped;
    }
    json found = json::array();
    for (const auto& [label, value] : absent) {
      for (const auto& [name, bytes] : contents) {
        if (const auto at = bytes.find(value); at != std::string::npos) found.push_back({{"value", label}, {"file", name}, {"offset", at}});
      }
    }
    std::vector<std::string> not_seen;
    for (const auto& entry : present) {
      const std::string& value = entry.second;
      const bool seen = std::any_of(contents.begin(), contents.end(), [&](const auto& file) { return file.second.find(value) != std::string::npos; });
      if (!seen) not_seen.push_back(entry.first);
    }
    record.observed["found_in_plaintext"] = found;
    std::vector<std::string> absent_labels, present_labels;
    for (const auto& item : absent) absent_labels.push_back(item.first);
    for (const auto& item : present) present_labels.push_back(item.first);
    record.summary = what + ": " + std::to_string(contents.size()) + " file(s), " + std::to_string(total) + " bytes scanned";
    if (!found.empty()) {
      record.summary += "; " + found[0]["value"].get<std::string>() + " is in plaintext in " + found[0]["file"].get<std::string>() +
                        " at offset " + found[0]["offset"].dump() + (found.size() > 1 ? " (" + std::to_string(found.size()) + " finds in all)" : "");
      return StepOutcome::failed;
    }
    if (!not_seen.empty()) {
      // Without a value known to be stored in the open, "nothing found" may only mean the wrong files were read.
      record.summary += "; none of [" + join(absent_labels, ", ") + "] found, but neither " + join(not_seen, ", ") +
                        ", which should be stored: the scan cannot tell whether it sees the data";
      return StepOutcome::skipped;
    }
    record.summary += "; none of [" + join(absent_labels, ", ") + "] in plaintext" +
                      (present_labels.empty() ? std::string{} : ", while [" + join(present_labels, ", ") + "] are, so the scan sees the data");
    return StepOutcome::passed;
  }

  const Scenario& scenario_;
  World& world_;
  Transcript transcript_;
  HttpAgent agent_;
  Placeholders placeholders_;
  std::map<std::string, Identity> identities_;
  std::map<std::string, std::int64_t> marks_;
  std::map<std::string, LogMark> log_marks_;
  std::set<std::string> stale_audit_marks_; ///< audit marks taken before a backend restart
  std::map<std::string, std::string> labels_; ///< call_tool label -> the X-Request-Id its reply carried
  std::map<std::string, std::string> streams_; ///< call_tool label -> the id of the SSE stream that answered it
  std::int64_t total_advance_ = 0;
};

} // namespace

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  ::gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

namespace {

// A scenario the target or the profile rules out is SKIPPED before any world
// starts: the capability it lacks, or the region the profile does not cover.
std::optional<std::string> reason_not_to_run(const Scenario& scenario, const WorldOptions& options) {
  if (options.target) {
    for (const auto& need : capabilities_needed(scenario)) {
      if (need.capability == "virtual_clock" && options.real_time) continue;
      if (need.capability == "oauth" && !options.target->offers("oauth")) {
        return "needs an OAuth authorization server and the mock backend (" + need.why + "); target " + options.target->name +
               " has no authorization (authorization: none)";
      }
      if (!options.target->offers(need.capability)) {
        return "needs the target's " + need.capability + " capability (" + need.why + "), which target " + options.target->name +
               " does not offer";
      }
    }
    for (const auto& id : tenant_urls_named(scenario)) {
      if (!options.target->tenant_mcp_urls.contains(id)) {
        return "needs tenant " + id + "'s own MCP URL, which target " + options.target->name + " does not list in tenant_mcp_urls";
      }
    }
  }
  for (const auto& hosted : hosted_tenants()) {
    if (hosted.id != scenario.tenant) continue;
    if (!options.parameters.hosts_region(hosted.region))
      return "tenant " + hosted.id + " is hosted in " + hosted.region + ", a region the profile does not list";
    // A tool-set promise is the notice's product's: the other product's tool list is not what it promised.
    const bool toolset = std::find(scenario.claims.begin(), scenario.claims.end(), "TOOLSET") != scenario.claims.end();
    if (toolset && !options.parameters.tool_set.empty() && hosted.tool_set != options.parameters.tool_set)
      return "tenant " + hosted.id + " serves the " + hosted.tool_set + " tool set; the profile's product is " +
             options.parameters.tool_set;
  }
  return std::nullopt;
}

// Issuer lifetimes a scenario plays in real time with, on a target whose
// clock can't be moved: short enough to wait out, long enough that the
// one-second margins of the TTL checks hold on a loaded machine.
constexpr std::int64_t real_time_access_ttl = 5;
constexpr std::int64_t real_time_refresh_ttl = 9;

} // namespace

ScenarioResult run_scenario(const Scenario& written, const WorldOptions& written_options) {
  const auto started = std::chrono::steady_clock::now();
  // A target without a virtual clock still gets the lifetime checks: the
  // issuers (ours) mint short-lived tokens and the clock moves are waited out.
  std::optional<Scenario> replayed;
  WorldOptions scaled_options;
  std::string conditions;
  if (written_options.target && !written_options.target->offers("virtual_clock") && written.issuer_lifetimes_scalable) {
    scaled_options = written_options;
    auto& parameters = scaled_options.parameters;
    conditions = "played in real time (target " + written_options.target->name + " has no virtual clock): access_ttl " +
                 std::to_string(parameters.access_ttl) + " s as " + std::to_string(std::min(parameters.access_ttl, real_time_access_ttl)) +
                 " s, refresh_ttl " + std::to_string(parameters.refresh_ttl) + " s as " +
                 std::to_string(std::min(parameters.refresh_ttl, real_time_refresh_ttl)) + " s";
    parameters.access_ttl = std::min(parameters.access_ttl, real_time_access_ttl);
    parameters.refresh_ttl = std::min(parameters.refresh_ttl, real_time_refresh_ttl);
    scaled_options.real_time = true;
    replayed = load_scenario(written.file, parameters.for_scenarios());
  }
  const Scenario& scenario = replayed ? *replayed : written;
  const WorldOptions& options = replayed ? scaled_options : written_options;
  ScenarioResult result;
  result.conditions = conditions;
  result.name = scenario.name;
  result.title = scenario.title;
  result.file = scenario.file.string();
  result.family = scenario.file.parent_path().filename().string();
  result.claims = scenario.claims;
  result.tags = scenario.tags;
  result.notice = scenario.notice;
  result.started_at = utc_now_rfc3339();

  if (auto reason = reason_not_to_run(scenario, options)) {
    result.verdict = Verdict::skipped;
    result.reason = *reason;
    return result;
  }

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
    if (auto problem = execution.watch_upstream_texts(); !problem.empty()) {
      result.verdict = Verdict::failed;
      result.reason = problem;
    }
    for (const auto& id : tenant_urls_named(scenario)) {
      if (result.verdict == Verdict::passed && world->tenant_mcp_url(id).empty()) {
        result.verdict = Verdict::failed;
        result.reason = "the scenario speaks to tenant " + id + "'s own MCP URL, and the connector names none for it";
      }
    }
    for (std::size_t i = 0; i < scenario.steps.size() && result.verdict == Verdict::passed; ++i) {
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

std::vector<ScenarioResult> run_scenario_jobs(const std::vector<ScenarioJob>& jobs, const RunSettings& settings) {
  std::vector<ScenarioResult> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0;
  auto worker = [&] {
    for (auto index = next++; index < jobs.size(); index = next++) {
      results[index] = run_scenario(*jobs[index].scenario, jobs[index].options);
      std::lock_guard lock(progress_mutex);
      ++done;
      if (settings.on_done) settings.on_done(results[index], done, jobs.size());
    }
  };
  const auto workers_wanted = std::clamp<std::size_t>(settings.jobs, 1, std::max<std::size_t>(jobs.size(), 1));
  if (workers_wanted == 1) {
    worker();
    return results;
  }
  std::vector<std::jthread> workers;
  for (std::size_t i = 0; i < workers_wanted; ++i) workers.emplace_back(worker);
  workers.clear(); // joins
  return results;
}

std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios, const WorldOptions& options,
                                          const RunSettings& settings) {
  std::vector<ScenarioJob> jobs;
  for (const auto& scenario : scenarios) {
    ScenarioJob job{&scenario, options};
    if (settings.keep_worlds) job.options.keep_dir = *settings.keep_worlds / scenario.name;
    jobs.push_back(std::move(job));
  }
  return run_scenario_jobs(jobs, settings);
}

std::vector<ClaimResult> verdicts_by_claim(const std::vector<ScenarioResult>& results) {
  std::vector<ClaimResult> claims;
  for (const auto& info : claim_catalogue()) {
    ClaimResult claim;
    claim.id = info.id;
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

std::vector<ClaimResult> verdicts_for_profile(const std::vector<ScenarioResult>& results, const Profile& profile,
                                              const std::vector<std::string>& only) {
  const auto checked = verdicts_by_claim(results);
  std::vector<ClaimResult> claims;
  for (const auto& info : claim_catalogue()) {
    const auto* promised = profile.find(info.id);
    if (promised == nullptr) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), info.id) == only.end()) continue;
    auto it = std::find_if(checked.begin(), checked.end(), [&](const ClaimResult& claim) { return claim.id == info.id; });
    ClaimResult claim;
    if (it != checked.end()) claim = *it;
    claim.id = info.id;
    if (it == checked.end()) claim.verdict = Verdict::skipped;
    claim.notice = promised;
    if (!info.machine_checkable) {
      // Contractual promises: whatever a scenario observed is evidence for the reviewer, not a verdict.
      claim.verdict = Verdict::review;
      claim.reason = "not machine-checkable: a person must judge it against the notice and the vendor's contracts";
    } else if (claim.scenarios.empty()) {
      claim.reason = "no scenario of this harness checks it yet";
    } else if (claim.verdict == Verdict::skipped) {
      claim.reason = "every scenario checking it was skipped; first: " + claim.scenarios.front()->name + ": " + claim.scenarios.front()->reason;
    }
    claims.push_back(std::move(claim));
  }
  return claims;
}

} // namespace mcpcert::client
