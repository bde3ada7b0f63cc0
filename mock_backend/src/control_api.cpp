#include "mcpcert/mock_backend/control_api.hpp"

#include <charconv>
#include <mutex>
#include <shared_mutex>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::int64_t max_advance_seconds = 100LL * 366 * 24 * 3600;
constexpr std::size_t max_auth_events_per_read = 1000;

/// A JSON object body, or the problem response explaining why not.
struct JsonBody {
  nlohmann::json value;
  std::optional<http::Response> problem;
};

JsonBody json_body(const http::Request& request) {
  JsonBody out;
  out.value = nlohmann::json::parse(request.body(), nullptr, false);
  if (out.value.is_discarded() || !out.value.is_object())
    out.problem = problem_response(request, 400, "bad-request", "the body must be a JSON object");
  return out;
}

std::optional<http::Response> require_string(const http::Request& request, const nlohmann::json& body,
                                              std::string_view field, std::string& into) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
    return problem_response(request, 400, "bad-request", std::string(field) + " is required and must be a non-empty string");
  into = it->get<std::string>();
  return std::nullopt;
}

nlohmann::json grant_json(const Grant& grant) {
  nlohmann::json out = {
      {"grant_id", grant.id},
      {"user", grant.user},
      {"client_id", grant.client_id},
      {"scope", grant.scope},
      {"entity", grant.entity},
      {"resource", grant.resource},
      {"created_at", format_rfc3339(grant.created_at)},
      {"revoked", grant.revoked()},
  };
  if (grant.revoked_at) {
    out["revoked_at"] = format_rfc3339(*grant.revoked_at);
    out["revoked_reason"] = grant.revoked_reason;
  }
  return out;
}

nlohmann::json user_json(const User& user, const std::vector<FixtureCredential>& credentials) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& role : user.roles)
    roles.push_back({{"entity", role.entity}, {"role", role.role}, {"mcp_access", role.mcp_access}});
  nlohmann::json out = {
      {"id", user.id},
      {"username", user.id},
      {"display_name", user.display_name},
      {"default_entity", user.default_entity},
      {"suspended", user.suspended},
      {"roles", std::move(roles)},
      {"department", user.department},
      {"teams", user.teams},
      {"mfa", user.has_second_factor()},
      {"sso_only", user.sso_only},
  };
  if (!user.sso_subject.empty()) out["sso_subject"] = user.sso_subject;
  for (const auto& credential : credentials) {
    if (credential.user != user.id) continue;
    if (!credential.password.empty()) out["password"] = credential.password;
    // The harness answers the second-factor page as an authenticator app would,
    // and signs in at the identity provider as the linked account.
    if (!credential.totp_secret.empty()) out["totp_secret"] = credential.totp_secret;
    if (!credential.sso_password.empty()) out["sso_password"] = credential.sso_password;
  }
  return out;
}

http::Response wrong_method(const http::Request& request, std::string_view allow) {
  auto response = problem_response(request, 405, "method-not-allowed",
                                    std::string(request.method_string()) + " is not allowed here");
  response.set(bhttp::field::allow, allow);
  return response;
}

/// A directory change is saved before it is acknowledged, so it outlives a
/// restart; nullopt when it was, else the 500 that says it was not.
std::optional<http::Response> standing_not_saved(const http::Request& request, Tenant& tenant, const std::string& user) {
  if (tenant.save_standing(user) == StoreStatus::ok) return std::nullopt;
  return problem_response(request, 500, "storage-failure",
                          "the change to user " + user + " holds but could not be saved; a restart of the backend would undo it");
}

} // namespace

ControlApi::ControlApi(std::string secret, VirtualClock& clock, AuditTrail& audit, TenantLookup tenants)
    : secret_(std::move(secret)), clock_(clock), audit_(audit), tenants_(std::move(tenants)) {}

http::Response ControlApi::handle(const http::Request& request) {
  auto token = bearer_token(request);
  // Hashing first makes the comparison independent of the presented length.
  if (!token || !constant_time_equal(sha256(*token), sha256(secret_))) {
    auto response = problem_response(request, 401, "unauthorized", "the control secret is required as a bearer token");
    response.set(bhttp::field::www_authenticate, "Bearer realm=\"mcpcert-control\"");
    return response;
  }
  return route(request);
}

http::Response ControlApi::route(const http::Request& request) {
  auto path = target_path(request.target());
  auto query = target_query(request.target());
  auto method = request.method();

  if (path == "/control/health") {
    if (method != bhttp::verb::get) return wrong_method(request, "GET");
    return json_response(request, 200, {{"ok", true}});
  }
  if (path == "/control/clock/advance" || path == "/control/clock/rewind") {
    if (method != bhttp::verb::post) return wrong_method(request, "POST");
    return move_clock(request, path == "/control/clock/advance" ? 1 : -1);
  }

  if (path == "/control/watch") {
    if (method != bhttp::verb::post) return wrong_method(request, "POST");
    auto body = json_body(request);
    if (body.problem) return *body.problem;
    auto text = body.value.find("text");
    // Short texts would match by accident (a digit, a common word) and prove nothing.
    if (text == body.value.end() || !text->is_string() || text->get<std::string>().size() < 8 || text->get<std::string>().size() > 1024)
      return problem_response(request, 400, "bad-request", "text is required: a string of 8 to 1024 characters");
    audit_.watch(text->get<std::string>());
    return json_response(request, 201, {{"watching", text->get<std::string>()}});
  }

  constexpr std::string_view tenants_prefix = "/control/tenants/";
  if (path.starts_with(tenants_prefix)) {
    auto rest = path.substr(tenants_prefix.size());
    auto slash = rest.find('/');
    auto tenant_id = url_decode(rest.substr(0, slash));
    auto action = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    Tenant* tenant = tenant_id ? tenants_(*tenant_id) : nullptr;
    if (!tenant)
      return problem_response(request, 404, "unknown-tenant", "unknown tenant " + std::string(rest.substr(0, slash)));
    if (action == "audit") {
      if (method != bhttp::verb::get) return wrong_method(request, "GET");
      return read_audit(request, *tenant, query);
    }
    if (action == "auth-events") {
      if (method != bhttp::verb::get) return wrong_method(request, "GET");
      return read_auth_events(request, *tenant, query);
    }
    if (action == "oracle" || action == "oracle/matrix" || action == "oracle/applications") {
      if (method != bhttp::verb::get) return wrong_method(request, "GET");
      std::shared_lock lock(tenant->admin_lock());
      std::lock_guard planning(tenant->data_lock());
      if (action == "oracle") return ask_oracle(request, *tenant, query);
      if (action == "oracle/applications") return oracle_applications(request, *tenant, query);
      return oracle_matrix(request, *tenant, query);
    }
    if (action == "users" || action == "grants") {
      if (method != bhttp::verb::get) return wrong_method(request, "GET");
      std::shared_lock lock(tenant->admin_lock());
      return action == "users" ? list_users(request, *tenant) : list_grants(request, *tenant, query);
    }
    using Change = http::Response (ControlApi::*)(const http::Request&, Tenant&);
    Change change = nullptr;
    if (action == "resources") change = &ControlApi::register_resource;
    else if (action == "clients") change = &ControlApi::register_client;
    else if (action == "admin/mcp-access") change = &ControlApi::change_mcp_access;
    else if (action == "admin/rotate-credentials") change = &ControlApi::rotate_credentials;
    else if (action == "admin/suspend") change = &ControlApi::suspend_user;
    else if (action == "keys/rotate") change = &ControlApi::rotate_signing_key;
    else if (action == "admin/role") change = &ControlApi::change_role;
    else if (action == "admin/membership") change = &ControlApi::change_membership;
    else if (action == "canaries") change = &ControlApi::plant_canary;
    else if (action == "faults") change = &ControlApi::inject_fault;
    if (change) {
      if (method != bhttp::verb::post) return wrong_method(request, "POST");
      // Exclusive: no request is between its decision and its audit record.
      std::unique_lock lock(tenant->admin_lock());
      return (this->*change)(request, *tenant);
    }
  }
  return problem_response(request, 404, "not-found", "no such control endpoint: " + std::string(path));
}

http::Response ControlApi::move_clock(const http::Request& request, int direction) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  auto seconds = body.value.find("seconds");
  if (seconds == body.value.end() || !seconds->is_number_integer() ||
      (seconds->is_number_unsigned() ? seconds->get<std::uint64_t>() > std::uint64_t(max_advance_seconds)
                                     : (seconds->get<std::int64_t>() < 0 ||
                                        seconds->get<std::int64_t>() > max_advance_seconds)))
    return problem_response(request, 400, "bad-request",
                            "seconds is required: an integer from 0 to " + std::to_string(max_advance_seconds) +
                                (direction > 0 ? " (advance only moves forward; /control/clock/rewind moves back)" : ""));
  // Rewinding plays a wall clock stepped back (an NTP correction): nothing
  // kept may depend on time never running backwards.
  clock_.advance(std::chrono::seconds(direction * seconds->get<std::int64_t>()));
  return json_response(request, 200,
                       {{"now", format_rfc3339(clock_.now())},
                        {"unix", clock_.unix_seconds()},
                        {"offset_seconds", std::chrono::duration_cast<Seconds>(clock_.offset()).count()}});
}

http::Response ControlApi::read_audit(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  if (params.status != FormStatus::ok)
    return problem_response(request, 400, "bad-request", "malformed query parameter " + params.field);
  AuditFilter filter;
  filter.tenant = tenant.identity().tenant;
  if (auto it = params.fields.find("since_seq"); it != params.fields.end()) {
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), filter.since_seq);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
      return problem_response(request, 400, "bad-request", "since_seq must be a non-negative integer");
  }
  if (auto it = params.fields.find("listener"); it != params.fields.end()) {
    filter.listener = parse_listener(it->second);
    if (!filter.listener)
      return problem_response(request, 400, "bad-request", "listener must be api, issuer or outbound");
  }
  if (auto it = params.fields.find("subject"); it != params.fields.end()) filter.subject = it->second;

  // last_seq is read first: a record appended meanwhile comes with the next poll, never lost.
  auto last_seq = audit_.last_seq();
  nlohmann::json records = nlohmann::json::array();
  for (const auto& record : audit_.select(filter))
    if (record.seq <= last_seq) records.push_back(to_json(record));
  return json_response(request, 200, {{"records", std::move(records)}, {"last_seq", last_seq}});
}

http::Response ControlApi::register_resource(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string resource;
  std::string client_id;
  if (auto problem = require_string(request, body.value, "resource", resource)) return *problem;
  if (auto problem = require_string(request, body.value, "client_id", client_id)) return *problem;
  if (!http::parse_url(resource) || resource.find('#') != std::string::npos)
    return problem_response(request, 400, "bad-request", "resource must be an absolute http(s) URL without fragment");
  if (!tenant.clients().find(client_id))
    return problem_response(request, 404, "unknown-client", "unknown client " + client_id);
  tenant.clients().register_resource(resource, client_id);
  return json_response(request, 201, {{"resource", resource}, {"client_id", client_id}});
}

http::Response ControlApi::register_client(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  auto parsed = parse_client(body.value);
  if (!parsed.client) return problem_response(request, 400, "bad-request", parsed.field + ": " + parsed.problem);
  bool replaced = tenant.clients().find(parsed.client->id).has_value();
  nlohmann::json answer = {{"client_id", parsed.client->id},
                           {"type", parsed.client->type == ClientType::confidential ? "confidential" : "public"},
                           {"replaced", replaced}};
  if (tenant.authorization_server().add_client(std::move(*parsed.client)) != StoreStatus::ok)
    return problem_response(request, 500, "storage-failure", "the client could not be stored");
  return json_response(request, replaced ? 200 : 201, answer);
}

http::Response ControlApi::list_users(const http::Request& request, Tenant& tenant) {
  nlohmann::json users = nlohmann::json::array();
  for (const User* user : tenant.directory().users()) users.push_back(user_json(*user, tenant.fixture_credentials()));
  return json_response(request, 200, {{"users", std::move(users)}});
}

http::Response ControlApi::change_mcp_access(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string user;
  std::string entity;
  if (auto problem = require_string(request, body.value, "user", user)) return *problem;
  if (auto problem = require_string(request, body.value, "entity", entity)) return *problem;
  auto granted = body.value.find("granted");
  if (granted == body.value.end() || !granted->is_boolean())
    return problem_response(request, 400, "bad-request", "granted is required and must be true or false");

  switch (tenant.directory().set_mcp_access(user, entity, granted->get<bool>())) {
  case DirectoryChange::unknown_user: return problem_response(request, 404, "unknown-user", "unknown user " + user);
  case DirectoryChange::unknown_entity:
    return problem_response(request, 404, "unknown-entity", "unknown entity " + entity);
  case DirectoryChange::no_role:
    return problem_response(request, 409, "no-role",
                            "user " + user + " has no role on entity " + entity + "; MCP Access needs one");
  case DirectoryChange::unknown_role:
  case DirectoryChange::unknown_department:
  case DirectoryChange::unknown_team: // not outcomes of an MCP Access change
  case DirectoryChange::changed:
  case DirectoryChange::unchanged: break;
  }
  if (auto problem = standing_not_saved(request, tenant, user)) return *problem;
  // The caller holds the tenant's admin lock exclusively, so every audit
  // record after this seq was decided with the new permission.
  return json_response(request, 200, {{"audit_seq", audit_.last_seq()}});
}

namespace {
std::optional<http::Response> directory_problem(const http::Request& request, DirectoryChange change,
                                                const std::string& subject) {
  switch (change) {
  case DirectoryChange::unknown_user: return problem_response(request, 404, "unknown-user", "unknown user " + subject);
  case DirectoryChange::unknown_entity: return problem_response(request, 404, "unknown-entity", "unknown entity");
  case DirectoryChange::unknown_role: return problem_response(request, 404, "unknown-role", "unknown role");
  case DirectoryChange::unknown_department:
    return problem_response(request, 404, "unknown-department", "unknown department");
  case DirectoryChange::unknown_team: return problem_response(request, 404, "unknown-team", "unknown team");
  case DirectoryChange::no_role: return problem_response(request, 409, "no-role", "the user has no role there");
  case DirectoryChange::changed:
  case DirectoryChange::unchanged: break;
  }
  return std::nullopt;
}

/// The value of query parameter `name`, or nullopt when absent.
std::optional<std::string> query_field(const FormParse& params, std::string_view name) {
  auto it = params.fields.find(std::string(name));
  if (it == params.fields.end()) return std::nullopt;
  return it->second;
}
} // namespace

http::Response ControlApi::change_role(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string user;
  std::string entity;
  if (auto problem = require_string(request, body.value, "user", user)) return *problem;
  if (auto problem = require_string(request, body.value, "entity", entity)) return *problem;
  auto role = body.value.find("role");
  if (role == body.value.end() || !(role->is_string() || role->is_null()))
    return problem_response(request, 400, "bad-request", "role is required: a role id, or null to remove the role");
  auto change = tenant.directory().set_role(user, entity, role->is_null() ? "" : role->get<std::string>());
  if (auto problem = directory_problem(request, change, user)) return *problem;
  if (auto problem = standing_not_saved(request, tenant, user)) return *problem;
  return json_response(request, 200, {{"changed", change == DirectoryChange::changed}, {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::change_membership(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string user;
  if (auto problem = require_string(request, body.value, "user", user)) return *problem;
  auto department = body.value.find("department");
  auto team = body.value.find("team");
  if ((department == body.value.end()) == (team == body.value.end()))
    return problem_response(request, 400, "bad-request", "exactly one of department or team is required");
  DirectoryChange change = DirectoryChange::unchanged;
  if (department != body.value.end()) {
    if (!department->is_string() && !department->is_null())
      return problem_response(request, 400, "bad-request", "department must be a department id or null");
    change = tenant.directory().set_department(user, department->is_null() ? "" : department->get<std::string>());
  } else {
    auto member = body.value.find("member");
    if (!team->is_string() || member == body.value.end() || !member->is_boolean())
      return problem_response(request, 400, "bad-request", "team must be a team id and member true or false");
    change = tenant.directory().set_team_membership(user, team->get<std::string>(), member->get<bool>());
  }
  if (auto problem = directory_problem(request, change, user)) return *problem;
  if (auto problem = standing_not_saved(request, tenant, user)) return *problem;
  return json_response(request, 200, {{"changed", change == DirectoryChange::changed}, {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::plant_canary(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  auto marker = "MCPCERT-CANARY-" + hex_encode(random_bytes(12));
  if (body.value.contains("entity")) {
    std::string entity;
    if (auto problem = require_string(request, body.value, "entity", entity)) return *problem;
    const Entity* found = tenant.directory().find_entity(entity);
    if (!found) return problem_response(request, 404, "unknown-entity", "unknown entity " + entity);
    tenant.ledger().add(entity, Kpi{"canary", marker, "canary", 0, found->currency});
  } else {
    std::string app;
    std::string node;
    if (auto problem = require_string(request, body.value, "app", app)) return *problem;
    if (auto problem = require_string(request, body.value, "node", node)) return *problem;
    std::lock_guard planning(tenant.data_lock());
    switch (tenant.planning().plant_canary(app, node, marker)) {
    case PlanningChange::unknown_app: return problem_response(request, 404, "unknown-app", "unknown application " + app);
    case PlanningChange::unknown_node: return problem_response(request, 404, "unknown-node", "unknown node " + node);
    default: break;
    }
  }
  return json_response(request, 201, {{"canary", marker}, {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::inject_fault(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string mode_text;
  if (auto problem = require_string(request, body.value, "mode", mode_text)) return *problem;
  auto mode = parse_fault_mode(mode_text);
  if (!mode) return problem_response(request, 400, "bad-request", "mode must be none, unavailable, malformed, slow or drop");
  const std::string listener = body.value.value("listener", "api");
  if (listener != "api" && listener != "issuer")
    return problem_response(request, 400, "bad-request", "listener must be api or issuer");
  Fault fault{*mode, std::chrono::milliseconds(0)};
  if (*mode == FaultMode::slow) {
    auto delay = body.value.find("delay_ms");
    if (delay == body.value.end() || !delay->is_number_integer() || delay->get<std::int64_t>() < 1 ||
        delay->get<std::int64_t>() > 60'000)
      return problem_response(request, 400, "bad-request", "a slow fault needs delay_ms, 1 to 60000");
    fault.delay = std::chrono::milliseconds(delay->get<std::int64_t>());
  }
  tenant.set_fault(listener == "api", fault);
  return json_response(request, 200, {{"listener", listener}, {"mode", mode_text}, {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::ask_oracle(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  if (params.status != FormStatus::ok)
    return problem_response(request, 400, "bad-request", "malformed query parameter " + params.field);
  auto user = query_field(params, "user");
  auto object_text = query_field(params, "object");
  auto operation_text = query_field(params, "operation");
  if (!user || !object_text || !operation_text)
    return problem_response(request, 400, "bad-request", "user, object and operation are required");
  auto object = ObjectRef::parse(*object_text);
  if (!object)
    return problem_response(request, 400, "bad-request",
                            "object must be entity:ID, app:ID, node:APP/NODE or tool:APP/TOOL");
  auto operation = parse_operation(*operation_text);
  if (!operation) return problem_response(request, 400, "bad-request", "operation must be read, write or run");
  auto decision = tenant.oracle().decide(*user, *object, *operation);
  return json_response(request, 200,
                       {{"user", *user}, {"object", object->to_string()}, {"operation", *operation_text},
                        {"allowed", decision.allowed}, {"allowed_via_mcp", decision.allowed_via_mcp},
                        {"reason", decision.reason}});
}

http::Response ControlApi::oracle_applications(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  auto user_id = params.status == FormStatus::ok ? query_field(params, "user") : std::nullopt;
  if (!user_id) return problem_response(request, 400, "bad-request", "user is required");
  const User* user = tenant.directory().find_user(*user_id);
  if (!user) return problem_response(request, 404, "unknown-user", "unknown user " + *user_id);
  auto workspace = query_field(params, "workspace").value_or(user->default_entity);
  nlohmann::json apps = nlohmann::json::array();
  for (const Application* app : tenant.oracle().visible_applications(user->id, workspace)) apps.push_back(app->id);
  return json_response(request, 200, {{"user", user->id}, {"workspace", workspace}, {"applications", apps}});
}

http::Response ControlApi::oracle_matrix(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  auto kinds = params.status == FormStatus::ok ? query_field(params, "objects") : std::nullopt;
  auto matrix = tenant.oracle().matrix();
  if (kinds && *kinds != "all") {
    // planning: app, node and tool objects; finance: entity objects.
    if (*kinds != "planning" && *kinds != "finance")
      return problem_response(request, 400, "bad-request", "objects must be all, planning or finance");
    nlohmann::json kept = nlohmann::json::array();
    for (auto& cell : matrix["cells"]) {
      bool entity = cell["object"].get<std::string>().starts_with("entity:");
      if (entity == (*kinds == "finance")) kept.push_back(std::move(cell));
    }
    matrix["cells"] = std::move(kept);
  }
  return json_response(request, 200, matrix);
}

http::Response ControlApi::rotate_credentials(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string user;
  if (auto problem = require_string(request, body.value, "user", user)) return *problem;
  if (!tenant.directory().find_user(user)) return problem_response(request, 404, "unknown-user", "unknown user " + user);
  auto password = random_token(18);
  tenant.directory().set_password(user, password);
  tenant.remember_password(user, password);
  const bool lockout_cleared = tenant.authorization_server().forget_failed_sign_ins(user);
  auto revoked = tenant.authorization_server().revoke_user_grants(user, "credentials rotated");
  if (!revoked)
    return problem_response(request, 500, "storage-failure", "the password changed but the grants and browser sessions could not all be ended in the state database");
  if (!lockout_cleared)
    return problem_response(request, 500, "storage-failure",
                            "the password changed and the grants were revoked, but the account's failed sign-ins "
                            "could not be cleared in the state database: a restart would bring them back");
  return json_response(request, 200,
                       {{"user", user}, {"password", password}, {"revoked_grants", *revoked}, {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::suspend_user(const http::Request& request, Tenant& tenant) {
  auto body = json_body(request);
  if (body.problem) return *body.problem;
  std::string user;
  if (auto problem = require_string(request, body.value, "user", user)) return *problem;
  auto suspended = body.value.find("suspended");
  if (suspended == body.value.end() || !suspended->is_boolean())
    return problem_response(request, 400, "bad-request", "suspended is required and must be true or false");
  if (!tenant.directory().set_suspended(user, suspended->get<bool>()))
    return problem_response(request, 404, "unknown-user", "unknown user " + user);
  std::size_t revoked = 0;
  // Lifting a suspension revives nothing: the user signs in and consents again.
  if (suspended->get<bool>()) {
    auto count = tenant.authorization_server().revoke_user_grants(user, "user suspended");
    if (!count)
      return problem_response(request, 500, "storage-failure", "the user is suspended but the grants and browser sessions could not all be ended in the state database");
    revoked = *count;
  }
  // Saved after the revocation, so a store that refuses the standing still leaves no grant standing.
  if (auto problem = standing_not_saved(request, tenant, user)) return *problem;
  return json_response(request, 200,
                       {{"user", user}, {"suspended", suspended->get<bool>()}, {"revoked_grants", revoked},
                        {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::rotate_signing_key(const http::Request& request, Tenant& tenant) {
  auto rotation = tenant.authorization_server().rotate_signing_key();
  if (!rotation) return problem_response(request, 500, "storage-failure", "the new signing key could not be stored");
  return json_response(request, 200,
                       {{"kid", rotation->kid},
                        {"previous_kid", rotation->previous_kid},
                        {"previous_published_until", format_rfc3339(rotation->previous_published_until)},
                        {"audit_seq", audit_.last_seq()}});
}

http::Response ControlApi::read_auth_events(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  if (params.status != FormStatus::ok)
    return problem_response(request, 400, "bad-request", "malformed query parameter " + params.field);
  std::uint64_t since_seq = 0;
  if (auto it = params.fields.find("since_seq"); it != params.fields.end()) {
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), since_seq);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
      return problem_response(request, 400, "bad-request", "since_seq must be a non-negative integer");
  }
  auto events = tenant.events().since(since_seq, max_auth_events_per_read + 1);
  bool more = events.size() > max_auth_events_per_read;
  if (more) events.pop_back();
  nlohmann::json out = nlohmann::json::array();
  std::uint64_t last_seq = since_seq;
  for (const auto& event : events) {
    out.push_back(to_json(event));
    last_seq = event.seq;
  }
  // Poll again from last_seq: more says whether that would return anything right away.
  return json_response(request, 200, {{"events", std::move(out)}, {"last_seq", last_seq}, {"more", more}});
}

http::Response ControlApi::list_grants(const http::Request& request, Tenant& tenant, std::string_view query) {
  auto params = parse_form(query);
  if (params.status != FormStatus::ok)
    return problem_response(request, 400, "bad-request", "malformed query parameter " + params.field);
  std::optional<std::string_view> user;
  if (auto it = params.fields.find("user"); it != params.fields.end()) {
    if (!tenant.directory().find_user(it->second))
      return problem_response(request, 404, "unknown-user", "unknown user " + it->second);
    user = it->second;
  }
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& grant : tenant.grants().grants(user)) grants.push_back(grant_json(grant));
  return json_response(request, 200, {{"grants", std::move(grants)}});
}

} // namespace mcpcert::backend
