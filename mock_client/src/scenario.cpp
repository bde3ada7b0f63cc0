#include "mcpcert/mock_client/scenario.hpp"

#include <algorithm>
#include <functional>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "mcpcert/mock_client/claims.hpp"
#include "mcpcert/mock_client/expectation.hpp"
#include "mcpcert/mock_client/profile.hpp"
#include "yaml_reader.hpp"

namespace mcpcert::client {

namespace {

using yaml::Reader;
using yaml::Rule;
using yaml::boolean;
using yaml::custom;
using yaml::free_map;
using yaml::integer;
using yaml::join;
using yaml::line_of;
using yaml::object;
using yaml::strings;
using yaml::text;

// --- custom values -----------------------------------------------------------

// An HTTP status, or a list of acceptable ones; always stored as a list.
nlohmann::json status_list(const Reader& reader, const YAML::Node& node, const std::string& field) {
  auto list = nlohmann::json::array();
  auto add = [&](const YAML::Node& item, const std::string& where) {
    const auto status = reader.whole_number(item, where);
    if (status < 100 || status > 599) reader.fail(item, where, "must be an HTTP status between 100 and 599");
    list.push_back(status);
  };
  if (node.IsSequence()) {
    if (node.size() == 0) reader.fail(node, field, "must list at least one status");
    for (std::size_t i = 0; i < node.size(); ++i) add(node[i], field + "[" + std::to_string(i) + "]");
  } else {
    add(node, field);
  }
  return list;
}

// name -> text; a null value is kept as null (e.g. "drop this default header").
nlohmann::json text_map(const Reader& reader, const YAML::Node& node, const std::string& field, bool nulls_allowed) {
  if (!node.IsMap()) reader.fail(node, field, "must be a mapping of names to text");
  auto out = nlohmann::json::object();
  for (const auto& entry : node) {
    const auto name = reader.scalar(entry.first, field);
    if (name.empty()) reader.fail(entry.first, field, "names must not be empty");
    if (entry.second.IsNull()) {
      if (!nulls_allowed) reader.fail(entry.second, field + "." + name, "must be a text value");
      out[name] = nullptr;
    } else {
      out[name] = reader.scalar(entry.second, field + "." + name);
    }
  }
  return out;
}

// Header name -> substring, {regex: R} or {absent: true}; regexes are compiled
// here so a typo fails at load time with its line.
nlohmann::json header_matchers(const Reader& reader, const YAML::Node& node, const std::string& field) {
  if (!node.IsMap()) reader.fail(node, field, "must be a mapping of header names to a substring, {regex: ...} or {absent: true}");
  auto out = nlohmann::json::object();
  for (const auto& entry : node) {
    const auto name = reader.scalar(entry.first, field);
    const auto where = field + "." + name;
    if (entry.second.IsScalar()) {
      out[name] = {{"contains", entry.second.as<std::string>()}};
      continue;
    }
    const auto matcher = reader.object(entry.second, {text("regex"), text("absent", false, {"true"})}, where);
    if (matcher.size() != 1) reader.fail(entry.second, where, "give exactly one of regex or absent");
    if (matcher.contains("regex")) {
      try {
        std::regex compiled(matcher["regex"].get<std::string>());
      } catch (const std::regex_error& e) {
        reader.fail(entry.second["regex"], where + ".regex", std::string("not a valid regular expression: ") + e.what());
      }
      out[name] = {{"regex", matcher["regex"]}};
    } else {
      out[name] = {{"absent", true}};
    }
  }
  return out;
}

// JSON pointer (RFC 6901) -> expected value.
nlohmann::json json_matchers(const Reader& reader, const YAML::Node& node, const std::string& field) {
  if (!node.IsMap()) reader.fail(node, field, "must be a mapping of JSON pointers (e.g. /error/code) to expected values");
  auto out = nlohmann::json::object();
  for (const auto& entry : node) {
    const auto pointer = reader.scalar(entry.first, field);
    try {
      nlohmann::json::json_pointer parsed(pointer);
    } catch (const nlohmann::json::exception&) {
      reader.fail(entry.first, field, "'" + pointer + "' is not a JSON pointer (it starts with '/', e.g. /result/tools/0/name)");
    }
    out[pointer] = reader.free_form(entry.second, field + "." + pointer);
  }
  return out;
}

// Any YAML value as JSON: the body of a raw request.
nlohmann::json any_json(const Reader& reader, const YAML::Node& node, const std::string& field) { return reader.free_form(node, field); }

std::vector<Rule> audit_expectations() {
  return {text("subject"), text("actor"), text("region"), text("outcome", false, {"success", "failure"})};
}

std::vector<Rule> http_expectations() {
  return {custom("status", status_list),
          custom("header", header_matchers),
          custom("json", json_matchers),
          custom("json_includes", json_matchers),
          integer("jsonrpc_error"),
          custom("www_authenticate", [](const Reader& r, const YAML::Node& n, const std::string& f) { return text_map(r, n, f, false); })};
}

// The scope authorize asks for unless told otherwise.
constexpr const char* default_scope = "finance:read";

// The steps a scenario may use, and the fields of each. `token` and
// `session` of raw_request are read by the loader, which knows the identities.
const std::map<std::string, std::vector<Rule>>& step_rules() {
  static const std::map<std::string, std::vector<Rule>> rules = [] {
    std::map<std::string, std::vector<Rule>> r;
    r["authorize"] = {text("as", true), text("user"), text("scope", false, {}, default_scope), text("resource"),
                      text("consent", false, {"approve", "deny"}, "approve"),
                      text("client", false, {"pre_registered", "metadata_document"}, "pre_registered"),
                      object("expect", {text("outcome", true, {"granted", "refused"}), text("error")})};
    r["connect"] = {text("as", true), text("protocol_version", false, {}, "2025-11-25"), object("expect", {integer("status")})};
    auto call_expect = http_expectations();
    call_expect.erase(call_expect.begin()); // call_tool keeps its single integer status
    call_expect.insert(call_expect.begin(), {text("outcome", true, {"success", "permission_error", "tool_error", "jsonrpc_error"}),
                                             integer("status"), integer("error_code"), integer("progress_notifications")});
    r["call_tool"] = {text("as", true), text("tool", true), free_map("arguments"), text("label"), text("progress_token"),
                      object("expect", call_expect, true)};
    r["resume_stream"] = {text("as", true), text("label", true), integer("after_event"),
                          object("expect", {integer("status"), integer("events")}, true)};
    r["admin"] = {text("action", true, {"revoke_mcp_access", "grant_mcp_access", "rotate_credentials", "suspend_user", "reinstate_user",
                                        "set_role", "set_department", "join_team", "leave_team"}),
                  text("user", true), text("entity"), text("role"), text("department"), text("team"), text("mark")};
    r["plant_canary"] = {text("name", true), text("app"), text("node"), text("entity")};
    r["inject_fault"] = {text("tenant"), text("listener", false, {"api", "issuer"}, "api"),
                         text("mode", true, {"none", "unavailable", "malformed", "slow", "drop"}), integer("delay_ms"),
                         text("mark")};
    r["assert_permission_matrix"] = {text("objects", false, {"planning", "finance"}, "planning"), strings("users"),
                                     text("scope", false, {}, "planning:read planning:write")};
    r["assert_audit"] = {text("tenant"), text("after"), text("before"), text("listener", false, {"api", "issuer", "outbound", "any"}, "any"), text("subject"),
                         text("actor"), text("region"), text("outcome", false, {"success", "failure", "any"}, "any"),
                         text("token_of"), strings("holding"), integer("count"), integer("min"), integer("max"),
                         object("every", audit_expectations())};
    r["mark_audit"] = {text("mark", true)};
    r["assert_grants"] = {text("user", true), text("client_id"), text("state", false, {"active", "revoked", "any"}, "any"),
                          integer("count"), integer("min"), integer("max")};
    r["raw_request"] = {text("method"),
                        text("path"),
                        text("url"),
                        custom("headers", [](const Reader& rd, const YAML::Node& n, const std::string& f) { return text_map(rd, n, f, true); }),
                        custom("query", [](const Reader& rd, const YAML::Node& n, const std::string& f) { return text_map(rd, n, f, false); }),
                        text("body"),
                        custom("json", any_json),
                        text("token_in", false, {"header", "query"}, "header"),
                        object("expect", http_expectations(), true)};
    r["advance_clock"] = {integer("seconds"), integer("token_age"), text("of")};
    r["rewind_clock"] = {integer("seconds", true)};
    r["refresh"] = {text("as", true), text("use", false, {"current", "previous"}, "current"),
                    object("expect", {text("outcome", true, {"granted", "refused"}), text("error"), boolean("rotated")})};
    r["list_tools"] = {text("as", true), object("expect", {strings("names", true)}, true)};
    r["tls_probe"] = {text("version", true, {"1.0", "1.1", "1.2", "1.3"}), text("expect", true, {"completed", "refused"})};
    r["mark_log"] = {text("mark", true)};
    r["restart_connector"] = {text("how", true, {"crash", "stop"})};
    r["restart_backend"] = {text("how", true, {"crash", "stop"})};
    r["assert_log"] = {text("after"), text("before"), text("kind", false, {"tool_call", "auth_event"}), text("tool"), text("outcome"),
                       text("event"), text("user"), text("tenant"), text("in_store"), integer("count"), integer("min"), integer("max"),
                       strings("fields"), strings("only_fields"), text("store"), strings("absent"), strings("holding"), strings("request_ids_of"),
                       text("unchanged_since")};
    r["scan_storage"] = {text("target", true, {"connector_log", "backend_state"}), strings("absent", true), strings("present")};
    return r;
  }();
  return rules;
}

// raw_request's token: an identity's access token (plain or tampered with),
// none, or a literal string.
nlohmann::json read_token(const Reader& reader, const YAML::Node& node, const std::string& field, const std::set<std::string>& identities) {
  if (!node.IsDefined() || node.IsNull()) return {{"kind", "none"}};
  if (node.IsScalar()) {
    const auto value = node.as<std::string>();
    if (value == "none") return {{"kind", "none"}};
    if (identities.contains(value)) return {{"kind", "identity"}, {"of", value}, {"tamper", "none"}};
    // Anything else is sent as it is: a deliberately invalid credential.
    return {{"kind", "literal"}, {"value", value}};
  }
  const auto token = reader.object(node, {text("of"), text("literal"), text("tamper", false, {"none", "signature", "alg_none"}, "none"),
                                          free_map("claims")},
                                   field);
  if (token.contains("literal")) {
    if (token.contains("of") || token.contains("claims") || token["tamper"] != "none") {
      reader.fail(node, field, "a literal token takes no of, tamper or claims");
    }
    return {{"kind", "literal"}, {"value", token["literal"]}};
  }
  if (!token.contains("of")) reader.fail(node, field + ".of", "required field is missing (or give literal: ...)");
  const std::string of = token["of"];
  if (!identities.contains(of)) reader.fail(node["of"], field + ".of", "no earlier authorize step names identity '" + of + "'");
  nlohmann::json out = {{"kind", "identity"}, {"of", of}, {"tamper", token["tamper"]}};
  if (token.contains("claims")) out["claims"] = token["claims"];
  return out;
}

// Every ${name} in a step must be one the runner fills in; a typo would
// otherwise only show as a puzzling mismatch once a world ran.
void check_placeholders(const Reader& reader, const YAML::Node& node, const nlohmann::json& value, const std::string& field,
                        const std::set<std::string>& identities) {
  if (value.is_string()) {
    for (const auto& name : placeholder_references(value.get<std::string>())) {
      if (placeholder_names().contains(name) || tenant_url_placeholder(name)) continue;
      if (name.starts_with("canary:")) {
        if (!identities.contains(name)) reader.fail(node, field, "placeholder ${" + name + "}: no earlier plant_canary step names it");
        continue;
      }
      if (auto of = parse_identity_placeholder(name)) {
        if (!identities.contains(of->identity)) {
          reader.fail(node, field, "placeholder ${" + name + "}: no earlier authorize step names identity '" + of->identity + "'");
        }
        continue;
      }
      std::vector<std::string> known(placeholder_names().begin(), placeholder_names().end());
      for (const auto& kind : identity_placeholder_kinds()) known.push_back(kind + ":IDENTITY");
      known.push_back("tenant_mcp_url:TENANT");
      reader.fail(node, field, "unknown placeholder ${" + name + "} (known: " + join(known) + ")");
    }
  } else if (value.is_structured()) {
    for (const auto& item : value) check_placeholders(reader, node, item, field, identities);
  }
}

// assert_log must check something, name identities and labels that exist,
// and keep its counts sensible; the record fields it names are free, since a
// vendor's connector may log fields ours does not.
void check_assert_log(const Reader& reader, const YAML::Node& node, const nlohmann::json& args, const std::string& path,
                      const std::set<std::string>& identities, const std::set<std::string>& labels) {
  static const std::vector<std::string> checks{"count", "min", "max", "fields", "only_fields", "store", "absent", "request_ids_of",
                                               "unchanged_since"};
  if (std::none_of(checks.begin(), checks.end(), [&](const std::string& check) { return args.contains(check); })) {
    reader.fail(node, path, "asserts nothing: give at least one of " + join(checks));
  }
  for (const char* bound : {"count", "min", "max"}) {
    if (args.contains(bound) && args[bound].get<long long>() < 0) reader.fail(node[bound], path + "." + bound, "must not be negative");
  }
  if (args.contains("user") && !identities.contains(args["user"].get<std::string>())) {
    reader.fail(node["user"], path + ".user", "no earlier authorize step names identity '" + args["user"].get<std::string>() + "'");
  }
  if (args.contains("request_ids_of")) {
    const auto& wanted = args["request_ids_of"];
    if (wanted.empty()) reader.fail(node["request_ids_of"], path + ".request_ids_of", "must list at least one call_tool label");
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (!labels.contains(wanted[i].get<std::string>())) {
        reader.fail(node["request_ids_of"][i], path + ".request_ids_of[" + std::to_string(i) + "]",
                    "no earlier call_tool step has label '" + wanted[i].get<std::string>() + "'");
      }
    }
  }
  for (const char* list : {"fields", "only_fields", "absent", "holding"}) {
    if (args.contains(list) && args[list].empty()) reader.fail(node[list], path + "." + list, "must list at least one value");
  }
}

// Steps that only send requests and read replies: several may run at once.
const std::set<std::string>& concurrent_step_kinds() {
  static const std::set<std::string> kinds{"call_tool", "list_tools", "raw_request", "refresh"};
  return kinds;
}

// concurrently: {steps: [...], times?: N, expect?: {passed: N}}: every step,
// each `times` times, started together; the step holds when the number of
// inner steps whose own expectations held is expect.passed (default: all).
ScenarioStep parse_concurrently(const Reader& reader, const YAML::Node& node, const std::string& path, int line,
                                const std::function<ScenarioStep(const YAML::Node&, const std::string&)>& parse_inner) {
  auto args = reader.object(node, {integer("times"), object("expect", {integer("passed", true)})}, path, {"steps"});
  const auto steps = node["steps"];
  if (!steps.IsDefined()) reader.fail(node, path + ".steps", "required field is missing");
  if (!steps.IsSequence() || steps.size() == 0 || steps.size() > 20) reader.fail(steps, path + ".steps", "must be a list of 1 to 20 steps");
  const auto times = args.value("times", 1LL);
  if (times < 1 || times > 50) reader.fail(node["times"], path + ".times", "must be between 1 and 50");
  args["times"] = times;
  args["steps"] = nlohmann::json::array();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto inner = parse_inner(steps[i], path + ".steps[" + std::to_string(i) + "]");
    args["steps"].push_back({{"kind", inner.kind}, {"line", inner.line}, {"args", std::move(inner.args)}});
  }
  const auto started = static_cast<long long>(steps.size()) * times;
  if (args.contains("expect") && (args["expect"]["passed"].get<long long>() < 0 || args["expect"]["passed"].get<long long>() > started)) {
    reader.fail(node["expect"]["passed"], path + ".expect.passed", "must be between 0 and the " + std::to_string(started) + " steps started");
  }
  return ScenarioStep{"concurrently", line, std::move(args)};
}

} // namespace

ScenarioError::ScenarioError(const std::filesystem::path& file, int line, const std::string& field, const std::string& problem)
    : std::runtime_error(file.string() + ":" + (line > 0 ? std::to_string(line) + ":" : std::string()) + " " +
                         (field.empty() ? "" : field + ": ") + problem) {}

Scenario load_scenario(const std::filesystem::path& file) { return load_scenario(file, ProfileParameters{}.for_scenarios()); }

Scenario load_scenario(const std::filesystem::path& file, const ScenarioParameters& parameters) {
  const auto root = yaml::load_file(file, parameters);
  Reader reader(file);
  static const std::vector<Rule> header_rules{
      text("scenario", true), text("title", true), strings("claims", true), strings("tags"),
      object("notice", {text("source", true), text("sentence", true)}, true), text("tenant", true),
      text("mcp_url", false, {"shared", "tenant"}, "shared"), strings("requires"), text("time_scaling", false, {"issuer_lifetimes"})};
  if (!root.IsMap()) reader.fail(root, "", "a scenario file is a mapping with scenario, title, claims, notice, tenant and steps");
  const auto fields = reader.object(root, header_rules, "scenario", {"steps"});
  const auto steps_node = root["steps"];
  if (!steps_node.IsDefined()) reader.fail(root, "scenario.steps", "required field is missing");
  if (!steps_node.IsSequence() || steps_node.size() == 0) reader.fail(steps_node, "scenario.steps", "must be a non-empty list of steps");

  Scenario scenario;
  scenario.file = file;
  scenario.name = fields["scenario"];
  scenario.title = fields["title"];
  scenario.tenant = fields["tenant"];
  scenario.at_tenant_url = fields["mcp_url"] == "tenant";
  scenario.notice = {fields["notice"]["source"], fields["notice"]["sentence"]};
  for (std::size_t i = 0; i < fields["claims"].size(); ++i) {
    const std::string id = fields["claims"][i];
    if (find_claim(id) == nullptr) reader.fail(root["claims"][i], "scenario.claims[" + std::to_string(i) + "]", "unknown claim id '" + id + "'");
    scenario.claims.push_back(id);
  }
  if (scenario.claims.empty()) reader.fail(root["claims"], "scenario.claims", "must name at least one claim");
  if (fields.contains("tags")) {
    for (const auto& tag : fields["tags"]) scenario.tags.push_back(tag);
  }
  if (fields.contains("requires")) {
    for (std::size_t i = 0; i < fields["requires"].size(); ++i) {
      const std::string capability = fields["requires"][i];
      if (std::find(capability_names().begin(), capability_names().end(), capability) == capability_names().end()) {
        reader.fail(root["requires"][i], "scenario.requires[" + std::to_string(i) + "]",
                    "unknown capability '" + capability + "' (known: " + join(capability_names()) + ")");
      }
      scenario.requires_capabilities.push_back(capability);
    }
  }

  scenario.issuer_lifetimes_scalable = fields.contains("time_scaling");

  std::set<std::string> marks;      // audit positions
  std::set<std::string> log_marks;  // operational log positions, a namespace of their own
  std::set<std::string> identities; // named by earlier authorize steps
  std::set<std::string> labels;     // of earlier call_tool steps
  // One step; `inside` names the concurrently step it belongs to, if any.
  std::function<ScenarioStep(const YAML::Node&, const std::string&, bool)> parse_step;
  parse_step = [&](const YAML::Node& step, const std::string& where, bool inside) -> ScenarioStep {
    if (!step.IsMap() || step.size() != 1) reader.fail(step, where, "a step is a mapping with exactly one key: the step kind");
    const auto entry = *step.begin();
    const auto kind = reader.scalar(entry.first, where);
    if (kind == "concurrently") {
      if (inside) reader.fail(entry.first, where, "concurrently steps do not nest");
      return parse_concurrently(reader, entry.second, where + ".concurrently", line_of(step),
                                [&](const YAML::Node& inner, const std::string& inner_where) { return parse_step(inner, inner_where, true); });
    }
    if (inside && !concurrent_step_kinds().contains(kind)) {
      reader.fail(entry.first, where, "'" + kind + "' can't run concurrently (these can: " + join({concurrent_step_kinds().begin(), concurrent_step_kinds().end()}) + ")");
    }
    const auto rules = step_rules().find(kind);
    if (rules == step_rules().end()) {
      std::vector<std::string> names;
      for (const auto& [name, unused] : step_rules()) names.push_back(name);
      reader.fail(entry.first, where, "unknown step '" + kind + "' (known: " + join(names) + ")");
    }
    const auto path = where + "." + kind;
    const std::set<std::string> loader_fields = kind == "raw_request" ? std::set<std::string>{"token", "session"} : std::set<std::string>{};
    auto args = reader.object(entry.second, rules->second, path, loader_fields);
    const auto& node = entry.second;

    auto require_identity = [&](const char* field) {
      const std::string name = args[field];
      if (!identities.contains(name)) reader.fail(node[field], path + "." + field, "no earlier authorize step names identity '" + name + "'");
    };
    if (kind == "raw_request") {
      args["token"] = read_token(reader, node["token"], path + ".token", identities);
      if (node["session"].IsDefined() && !node["session"].IsNull()) {
        args["session"] = reader.scalar(node["session"], path + ".session");
        require_identity("session");
      }
      if (args.contains("body") && args.contains("json")) reader.fail(node, path, "give body or json, not both");
      if (args["token_in"] == "query" && args["token"]["kind"] == "none") {
        reader.fail(node["token_in"], path + ".token_in", "a token sent in the query needs a token");
      }
      if (args.contains("path") && args.contains("url")) reader.fail(node, path, "give path or url, not both");
      if (args.contains("url") && args["url"].get<std::string>().rfind("http", 0) != 0 &&
          args["url"].get<std::string>().rfind("${", 0) != 0) {
        reader.fail(node["url"], path + ".url", "must be an absolute http(s) URL or start with a placeholder such as ${api}");
      }
      if (args.contains("path") && args["path"].get<std::string>().rfind('/', 0) != 0) {
        reader.fail(node["path"], path + ".path", "must start with '/' (it is relative to the connector's origin)");
      }
      if (!args.contains("method")) args["method"] = args.contains("body") || args.contains("json") ? "POST" : "GET";
      const std::string method = args["method"];
      if (method.empty() || !std::all_of(method.begin(), method.end(), [](unsigned char c) { return std::isupper(c) != 0; })) {
        reader.fail(node["method"], path + ".method", "must be an upper-case HTTP method, e.g. POST");
      }
    }
    if (kind == "refresh" || kind == "list_tools") require_identity("as");
    if (kind == "advance_clock") {
      const bool by_seconds = args.contains("seconds");
      const bool by_age = args.contains("token_age");
      if (by_seconds == by_age) reader.fail(node, path, "give seconds, or token_age with of");
      if (by_seconds && args["seconds"].get<long long>() < 0) {
        reader.fail(node["seconds"], path + ".seconds", "advance_clock only moves forward (rewind_clock moves back)");
      }
      if (by_age != args.contains("of")) reader.fail(node, path, "token_age and of go together");
      if (by_age) require_identity("of");
    }
    if (kind == "rewind_clock" && args["seconds"].get<long long>() <= 0) {
      reader.fail(node["seconds"], path + ".seconds", "must be a positive number of seconds to move back");
    }
    if (kind == "assert_audit" && args.contains("token_of")) require_identity("token_of");
    if (kind == "authorize" && args.contains("resource")) {
      const std::string resource = args["resource"];
      if (resource.rfind("http", 0) != 0 && resource.rfind("${", 0) != 0) {
        reader.fail(node["resource"], path + ".resource", "must be an absolute URL or a placeholder such as ${decoy_resource}");
      }
    }
    if (kind == "call_tool" && args.contains("label")) {
      const std::string label = args["label"];
      if (inside) reader.fail(node["label"], path + ".label", "a step run concurrently (perhaps many times) takes no label");
      if (!labels.insert(label).second) reader.fail(node["label"], path + ".label", "label '" + label + "' is already taken by an earlier step");
    }
    if (kind == "assert_log") check_assert_log(reader, node, args, path, identities, labels);
    if (kind == "resume_stream") {
      require_identity("as");
      if (!labels.contains(args["label"].get<std::string>()))
        reader.fail(node["label"], path + ".label", "no earlier call_tool step has label '" + args["label"].get<std::string>() + "'");
    }
    if (kind == "admin") {
      const std::string action = args["action"];
      auto require = [&](const char* field) {
        if (!args.contains(field)) reader.fail(node, path + "." + field, "admin " + action + " needs " + field);
      };
      if (action == "set_role") {
        require("entity");
        require("role");
      }
      if (action == "set_department") require("department");
      if (action == "join_team" || action == "leave_team") require("team");
      if (action.find("mcp_access") != std::string::npos) require("entity");
    }
    if (kind == "inject_fault" && (args["mode"] == "slow") != args.contains("delay_ms"))
      reader.fail(node, path, "delay_ms goes with mode slow, and only with it");
    if (kind == "plant_canary") {
      const bool in_node = args.contains("app") && args.contains("node");
      if (in_node == args.contains("entity") || (args.contains("app") != args.contains("node")))
        reader.fail(node, path, "give app and node (a node result), or entity (a finance figure)");
    }
    if (kind == "scan_storage") {
      for (const char* list : {"absent", "present"}) {
        if (!args.contains(list)) continue;
        for (std::size_t v = 0; v < args[list].size(); ++v) {
          if (args[list][v].get<std::string>().empty()) {
            reader.fail(node[list][v], path + "." + list + "[" + std::to_string(v) + "]", "an empty value would be found everywhere");
          }
        }
      }
      if (args["absent"].empty()) reader.fail(node["absent"], path + ".absent", "must list at least one value");
    }
    const bool about_log = kind == "mark_log" || kind == "assert_log";
    auto& mark_set = about_log ? log_marks : marks;
    const char* mark_step = about_log ? "mark_log" : "mark_audit or admin";
    for (const char* bound : {"after", "before", "unchanged_since"}) {
      if (args.contains(bound) && !mark_set.contains(args[bound].get<std::string>())) {
        reader.fail(node[bound], path + "." + bound,
                    "no earlier step sets mark '" + args[bound].get<std::string>() + "' (marks come from " + mark_step + ")");
      }
    }
    if (args.contains("mark")) mark_set.insert(args["mark"].get<std::string>());
    check_placeholders(reader, node, args, path, identities);
    if (kind == "authorize") identities.insert(args["as"].get<std::string>());
    // Canary names share the set: ${canary:NAME} is valid after the step that plants it.
    if (kind == "plant_canary") identities.insert("canary:" + args["name"].get<std::string>());
    return ScenarioStep{kind, line_of(step), std::move(args)};
  };
  for (std::size_t i = 0; i < steps_node.size(); ++i) {
    scenario.steps.push_back(parse_step(steps_node[i], "scenario.steps[" + std::to_string(i) + "]", false));
  }
  return scenario;
}

const std::vector<std::string>& capability_names() {
  static const std::vector<std::string> names{"oauth", "virtual_clock", "log_export", "storage_dir", "restart_command", "tenant_urls"};
  return names;
}

namespace {

void collect_strings(const nlohmann::json& value, std::vector<std::string>& into) {
  if (value.is_string()) into.push_back(value.get<std::string>());
  else if (value.is_structured())
    for (const auto& item : value) collect_strings(item, into);
}

// The tenants whose own MCP URL a step names (${tenant_mcp_url:ID}), in order.
std::vector<std::string> tenant_urls_in(const nlohmann::json& args) {
  std::vector<std::string> texts;
  collect_strings(args, texts);
  std::vector<std::string> tenants;
  for (const auto& text : texts)
    for (const auto& name : placeholder_references(text))
      if (auto tenant = tenant_url_placeholder(name)) tenants.push_back(std::move(*tenant));
  return tenants;
}

bool expects_challenge(const nlohmann::json& args) {
  if (!args.contains("expect") || !args["expect"].is_object()) return false;
  const auto& expect = args["expect"];
  if (expect.contains("www_authenticate")) return true;
  if (!expect.contains("status")) return false;
  const auto& status = expect["status"];
  if (status.is_array()) return std::any_of(status.begin(), status.end(), [](const nlohmann::json& s) { return s == 401; });
  return status == 401;
}

// What in a step only an OAuth resource server of the mock issuers, backed by
// the mock backend, can answer; empty when nothing. `users` collects the
// users authorized so far: without tokens, two users are one anonymous client.
std::string oauth_use(const std::string& kind, const nlohmann::json& args, std::set<std::string>& users) {
  static const std::set<std::string> backend_steps{"refresh", "admin", "plant_canary", "inject_fault", "assert_permission_matrix",
                                                   "assert_grants", "assert_audit", "mark_audit", "restart_backend"};
  if (backend_steps.contains(kind)) return kind;
  if (!args.is_object()) return {};
  std::vector<std::string> texts;
  collect_strings(args, texts);
  for (const auto& text : texts) {
    for (const auto& name : placeholder_references(text)) {
      if (name == "issuer" || name == "api" || name == "decoy_resource" || name == "client_metadata_document" ||
          parse_identity_placeholder(name)) {
        return kind + " naming ${" + name + "}";
      }
    }
  }
  if (expects_challenge(args)) return kind + " expecting a 401 challenge";
  if (kind == "authorize") {
    if (args.value("scope", default_scope) != default_scope || args.contains("resource") || args.value("consent", "approve") != "approve" ||
        args.value("client", "pre_registered") != "pre_registered" ||
        (args.contains("expect") && args["expect"].value("outcome", "granted") != "granted")) {
      return "authorize with OAuth parameters (scope, resource, client, consent or a refusal)";
    }
    const std::string user = args.value("user", args.value("as", ""));
    users.insert(user);
    if (users.size() > 1) return "authorize of a second user (" + user + "): users are told apart by their tokens";
  }
  if (kind == "raw_request") {
    const auto& token = args["token"];
    if (token.value("kind", "none") == "literal") return "raw_request with a literal token";
    if (token.value("tamper", "none") != "none" || token.contains("claims")) return "raw_request with a forged token";
    if (args.value("token_in", "header") == "query") return "raw_request with a token in the query";
    if (args.contains("url")) return "raw_request to a URL other than the connector's";
    if (args.contains("path") && args["path"].get<std::string>().starts_with("/.well-known/oauth")) return "raw_request for OAuth metadata";
    if (args.contains("headers")) {
      for (const auto& [name, unused] : args["headers"].items()) {
        std::string lowered = name;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lowered == "authorization") return "raw_request with its own Authorization header";
      }
    }
  }
  if (kind == "call_tool" && args["expect"].value("outcome", "") == "permission_error") return "call_tool expecting a permission_error";
  if (kind == "advance_clock" && args.contains("token_age")) return "advance_clock by a token's age";
  if (kind == "assert_log" && (args.contains("user") || args.value("kind", "") == "auth_event")) return "assert_log of a user's or auth events";
  if (kind == "scan_storage" && args.value("target", "") == "backend_state") return "scan_storage of the backend's state";
  if (kind == "concurrently") {
    for (const auto& inner : args["steps"]) {
      if (auto why = oauth_use(inner["kind"], inner["args"], users); !why.empty()) return why;
    }
  }
  return {};
}

} // namespace

std::vector<CapabilityNeed> capabilities_needed(const Scenario& scenario) {
  std::vector<CapabilityNeed> needs;
  auto add = [&](const std::string& capability, const std::string& why) {
    const bool known = std::any_of(needs.begin(), needs.end(), [&](const CapabilityNeed& need) { return need.capability == capability; });
    if (!known) needs.push_back({capability, why});
  };
  for (const auto& capability : scenario.requires_capabilities) add(capability, "declared in requires");
  if (scenario.at_tenant_url) add("tenant_urls", "mcp_url: tenant");
  std::set<std::string> users;
  for (const auto& step : scenario.steps) {
    const auto why = step.kind + " at line " + std::to_string(step.line);
    for (const auto& tenant : tenant_urls_in(step.args))
      add("tenant_urls", step.kind + " naming ${tenant_mcp_url:" + tenant + "} at line " + std::to_string(step.line));
    if (auto use = oauth_use(step.kind, step.args, users); !use.empty()) add("oauth", use + " at line " + std::to_string(step.line));
    if (step.kind == "advance_clock" || step.kind == "rewind_clock") add("virtual_clock", why);
    if (step.kind == "mark_log" || step.kind == "assert_log") add("log_export", why);
    if (step.kind == "scan_storage" && step.args.value("target", "") == "connector_log") add("storage_dir", why);
    if (step.kind == "restart_connector") add("restart_command", why);
  }
  return needs;
}

std::set<std::string> tenant_urls_named(const Scenario& scenario) {
  std::set<std::string> tenants;
  if (scenario.at_tenant_url) tenants.insert(scenario.tenant);
  for (const auto& step : scenario.steps)
    for (auto& tenant : tenant_urls_in(step.args)) tenants.insert(std::move(tenant));
  return tenants;
}

std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        const auto extension = entry.path().extension();
        if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml") &&
            entry.path().parent_path().filename() != "profiles") {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

} // namespace mcpcert::client
