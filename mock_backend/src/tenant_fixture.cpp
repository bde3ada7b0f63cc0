#include "mcpcert/mock_backend/tenant_fixture.hpp"

#include <set>

#include "mcpcert/config.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::backend {
namespace {

std::string require_nonempty(const ConfigNode& node, std::string_view field) {
  auto value = node.require_string(field);
  if (value.empty()) node.fail(field, "must not be empty");
  return value;
}

double require_number(const ConfigNode& node, std::string_view field) {
  if (!node.has(field)) node.fail(field, "is required");
  const auto& value = node.value().at(std::string(field));
  if (!value.is_number()) node.fail(field, "must be a number");
  return value.get<double>();
}

void add_entities(const ConfigNode& root, TenantDirectory& directory) {
  auto nodes = root.require_array("entities");
  if (nodes.empty()) root.fail("entities", "needs at least one entity");
  for (const auto& node : nodes) {
    node.reject_unknown({"id", "name", "currency"});
    Entity entity{require_nonempty(node, "id"), require_nonempty(node, "name"), node.optional_string("currency", "EUR")};
    if (directory.find_entity(entity.id)) node.fail("id", "duplicate entity " + entity.id);
    directory.add_entity(std::move(entity));
  }
}

void add_organisation(const ConfigNode& root, TenantDirectory& directory) {
  for (const auto& node : root.optional_array("custom_roles")) {
    node.reject_unknown({"id", "name", "permissions"});
    RoleDefinition role{require_nonempty(node, "id"), node.optional_string("name", ""), {}, false};
    if (directory.find_role(role.id)) node.fail("id", "role " + role.id + " already exists");
    if (role.name.empty()) role.name = role.id;
    auto permissions = node.require_array("permissions");
    for (std::size_t i = 0; i < permissions.size(); ++i) {
      const auto& value = permissions[i].value();
      auto permission = value.is_string() ? parse_permission(value.get<std::string>()) : std::nullopt;
      if (!permission) node.fail("permissions", "entries must be read, write, run_tools or administer");
      role.permissions.push_back(*permission);
    }
    directory.add_role(std::move(role));
  }
  for (const auto& node : root.optional_array("departments")) {
    node.reject_unknown({"id", "name"});
    Department department{require_nonempty(node, "id"), require_nonempty(node, "name")};
    if (directory.find_department(department.id)) node.fail("id", "duplicate department " + department.id);
    directory.add_department(std::move(department));
  }
  for (const auto& node : root.optional_array("teams")) {
    node.reject_unknown({"id", "name", "department"});
    Team team{require_nonempty(node, "id"), require_nonempty(node, "name"), require_nonempty(node, "department")};
    if (directory.find_team(team.id)) node.fail("id", "duplicate team " + team.id);
    if (!directory.find_department(team.department)) node.fail("department", "unknown department " + team.department);
    directory.add_team(std::move(team));
  }
}

// RFC 4226 R6: a shared secret of at least 128 bits.
constexpr std::size_t min_totp_secret_bytes = 16;

// The base32 text as written, for the simulation control plane, and the key.
std::pair<std::string, std::string> totp_secret_of(const ConfigNode& node, bool mfa_required) {
  if (!node.has("totp_secret")) {
    if (mfa_required) node.fail("totp_secret", "is required: the user or the tenant has mfa_required");
    return {};
  }
  auto text = require_nonempty(node, "totp_secret");
  auto key = base32_decode(text);
  if (!key) node.fail("totp_secret", "must be base32 (RFC 4648 section 6)");
  if (key->size() < min_totp_secret_bytes) node.fail("totp_secret", "must hold at least 128 bits (RFC 4226 R6)");
  return {text, *key};
}

std::optional<IdentityProviderSpec> identity_provider_of(const ConfigNode& root) {
  if (!root.has("identity_provider")) return std::nullopt;
  auto node = root.require_object("identity_provider");
  node.reject_unknown({"id", "name", "users"});
  IdentityProviderSpec spec{require_nonempty(node, "id"), require_nonempty(node, "name"), {}};
  auto users = node.require_array("users");
  if (users.empty()) node.fail("users", "needs at least one user");
  std::set<std::string> ids;
  for (const auto& user : users) {
    user.reject_unknown({"id", "display_name", "password"});
    IdentityProviderUser account{require_nonempty(user, "id"), "", require_nonempty(user, "password")};
    account.display_name = user.optional_string("display_name", account.id);
    if (!ids.insert(account.id).second) user.fail("id", "duplicate user " + account.id);
    spec.users.push_back(std::move(account));
  }
  return spec;
}

// The account `node` links to at the identity provider, checked against it.
const IdentityProviderUser* sso_account_of(const ConfigNode& node, const std::optional<IdentityProviderSpec>& provider,
                                           std::set<std::string>& linked) {
  if (!node.has("sso_subject")) {
    if (node.optional_bool("sso_only", false)) node.fail("sso_only", "needs an sso_subject");
    return nullptr;
  }
  auto subject = require_nonempty(node, "sso_subject");
  if (!provider) node.fail("sso_subject", "the tenant has no identity_provider");
  const IdentityProviderUser* account = nullptr;
  for (const auto& candidate : provider->users)
    if (candidate.id == subject) account = &candidate;
  if (!account) node.fail("sso_subject", "no user " + subject + " at identity provider " + provider->id);
  if (!linked.insert(subject).second) node.fail("sso_subject", subject + " is linked to another user already");
  return account;
}

void add_users(const ConfigNode& root, TenantDirectory& directory, std::vector<FixtureCredential>& credentials,
               const std::optional<IdentityProviderSpec>& provider) {
  const bool tenant_mfa = root.optional_bool("mfa_required", false);
  std::set<std::string> linked;
  for (const auto& node : root.require_array("users")) {
    node.reject_unknown({"id", "display_name", "password", "default_entity", "suspended", "roles", "department", "teams",
                         "totp_secret", "mfa_required", "sso_subject", "sso_only"});
    UserSpec user;
    user.id = require_nonempty(node, "id");
    if (directory.find_user(user.id)) node.fail("id", "duplicate user " + user.id);
    user.display_name = node.optional_string("display_name", user.id);
    const auto* sso_account = sso_account_of(node, provider, linked);
    user.sso_only = node.optional_bool("sso_only", false);
    if (sso_account) user.sso_subject = sso_account->id;
    if (user.sso_only) {
      // The identity provider holds the only credential.
      if (node.has("password")) node.fail("password", "an sso_only user has no password here");
    } else {
      user.password = require_nonempty(node, "password");
    }
    user.suspended = node.optional_bool("suspended", false);
    for (const auto& role_node : node.require_array("roles")) {
      role_node.reject_unknown({"entity", "role", "mcp_access"});
      RoleAssignment assignment;
      assignment.entity = require_nonempty(role_node, "entity");
      if (!directory.find_entity(assignment.entity)) role_node.fail("entity", "unknown entity " + assignment.entity);
      for (const auto& existing : user.roles)
        if (existing.entity == assignment.entity) role_node.fail("entity", "second role on " + assignment.entity);
      assignment.role = role_node.require_string("role");
      if (!directory.find_role(assignment.role))
        role_node.fail("role", "unknown role " + assignment.role + " (viewer, editor, admin or a custom role)");
      assignment.mcp_access = role_node.optional_bool("mcp_access", false);
      user.roles.push_back(std::move(assignment));
    }
    user.department = node.optional_string("department", "");
    if (!user.department.empty() && !directory.find_department(user.department))
      node.fail("department", "unknown department " + user.department);
    if (node.has("teams")) {
      for (const auto& team : node.require_array("teams")) {
        if (!team.value().is_string() || !directory.find_team(team.value().get<std::string>()))
          node.fail("teams", "entries must be ids of teams");
        user.teams.push_back(team.value().get<std::string>());
      }
    }
    user.default_entity = require_nonempty(node, "default_entity");
    bool has_role = false;
    for (const auto& assignment : user.roles) has_role = has_role || assignment.entity == user.default_entity;
    if (!has_role) node.fail("default_entity", "the user has no role on " + user.default_entity);
    // An SSO-only user's second factor is the identity provider's business.
    auto [totp_text, totp_key] =
        totp_secret_of(node, (tenant_mfa && !user.sso_only) || node.optional_bool("mfa_required", false));
    user.totp_secret = std::move(totp_key);
    credentials.push_back({user.id, user.password, std::move(totp_text), user.sso_subject,
                           sso_account ? sso_account->password : std::string{}});
    directory.add_user(std::move(user));
  }
}

std::vector<std::string> string_list(const ConfigNode& node, std::string_view field) {
  std::vector<std::string> out;
  for (const auto& item : node.require_array(field)) {
    if (!item.value().is_string()) node.fail(field, "entries must be strings");
    out.push_back(item.value().get<std::string>());
  }
  return out;
}

void add_book(const ConfigNode& book, const Entity& entity, FinanceLedger& ledger) {
  const std::string& entity_id = entity.id;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& node : book.require_array("kpis")) {
    node.reject_unknown({"id", "name", "period", "value", "currency"});
    Kpi kpi{require_nonempty(node, "id"), require_nonempty(node, "name"), require_nonempty(node, "period"),
            require_number(node, "value"), node.optional_string("currency", entity.currency)};
    if (!seen.emplace(kpi.id, kpi.period).second) node.fail("id", "duplicate KPI " + kpi.id + " for " + kpi.period);
    ledger.add(entity_id, std::move(kpi));
  }
  for (auto statement : {Statement::profit_and_loss, Statement::balance_sheet, Statement::cash_position}) {
    for (const auto& node : book.optional_array(to_string(statement))) {
      node.reject_unknown({"line", "label", "section", "period", "value"});
      ledger.add_line(entity_id, statement,
                      StatementLine{require_nonempty(node, "line"), node.optional_string("label", ""),
                                    node.optional_string("section", ""), require_nonempty(node, "period"),
                                    require_number(node, "value")});
    }
  }
  for (const auto& node : book.optional_array("breakdowns")) {
    node.reject_unknown({"kpi", "dimension", "period", "items"});
    Breakdown breakdown{require_nonempty(node, "kpi"), require_nonempty(node, "dimension"),
                        require_nonempty(node, "period"), {}};
    for (const auto& item : node.require_array("items")) {
      item.reject_unknown({"member", "value"});
      breakdown.items.push_back({require_nonempty(item, "member"), require_number(item, "value")});
    }
    ledger.add_breakdown(entity_id, std::move(breakdown));
  }
  for (const auto& node : book.optional_array("situations")) {
    node.reject_unknown({"id", "period", "status"});
    Situation situation{require_nonempty(node, "id"), require_nonempty(node, "period"), node.optional_string("status", "open")};
    if (situation.status != "open" && situation.status != "closed") node.fail("status", "must be open or closed");
    ledger.add_situation(entity_id, std::move(situation));
  }
  if (book.has("configuration")) {
    auto configuration = book.require_object("configuration");
    configuration.reject_unknown({"kpis", "tables"});
    for (const auto& node : configuration.optional_array("kpis")) {
      node.reject_unknown({"id", "name", "formula", "unit"});
      ledger.put_kpi_definition(entity_id, {require_nonempty(node, "id"), require_nonempty(node, "name"),
                                            node.optional_string("formula", ""), node.optional_string("unit", "")});
    }
    for (const auto& node : configuration.optional_array("tables")) {
      node.reject_unknown({"id", "name", "columns"});
      ledger.put_table_definition(entity_id, {require_nonempty(node, "id"), require_nonempty(node, "name"),
                                              string_list(node, "columns")});
    }
  }
}

void add_ledger(const ConfigNode& root, const TenantDirectory& directory, FinanceLedger& ledger) {
  for (const auto& book : root.optional_array("ledger")) {
    book.reject_unknown({"entity", "kpis", "profit_and_loss", "balance_sheet", "cash_position", "breakdowns",
                         "situations", "configuration"});
    auto entity_id = require_nonempty(book, "entity");
    const Entity* entity = directory.find_entity(entity_id);
    if (!entity) book.fail("entity", "unknown entity " + entity_id);
    add_book(book, *entity, ledger);
  }
}

nlohmann::json require_value(const ConfigNode& node, std::string_view field) {
  if (!node.has(field)) node.fail(field, "is required");
  return node.value().at(std::string(field));
}

void add_application(const ConfigNode& node, const TenantDirectory& directory, PlanningWorkspace& planning) {
  node.reject_unknown({"id", "name", "description", "workspace", "owner", "shares", "nodes", "inputs", "versions", "tools"});
  Application app;
  app.id = require_nonempty(node, "id");
  if (planning.find_application(app.id)) node.fail("id", "duplicate application " + app.id);
  app.name = require_nonempty(node, "name");
  app.description = node.optional_string("description", "");
  app.workspace = require_nonempty(node, "workspace");
  if (!directory.find_entity(app.workspace)) node.fail("workspace", "unknown workspace " + app.workspace);
  app.owner = require_nonempty(node, "owner");
  if (!directory.find_user(app.owner)) node.fail("owner", "unknown user " + app.owner);
  for (const auto& share_node : node.optional_array("shares")) {
    share_node.reject_unknown({"scope", "principal", "access"});
    Share share;
    auto scope = parse_share_scope(share_node.require_string("scope"));
    if (!scope) share_node.fail("scope", "must be company, department, team or user");
    share.scope = *scope;
    auto access = parse_app_access(share_node.optional_string("access", "view"));
    if (!access || *access == AppAccess::none) share_node.fail("access", "must be view or edit");
    share.access = *access;
    share.principal = share_node.optional_string("principal", "");
    bool known = share.scope == ShareScope::company ? share.principal.empty()
               : share.scope == ShareScope::department ? directory.find_department(share.principal) != nullptr
               : share.scope == ShareScope::team       ? directory.find_team(share.principal) != nullptr
                                                       : directory.find_user(share.principal) != nullptr;
    if (!known) share_node.fail("principal", "no " + std::string(to_string(share.scope)) + " " + share.principal);
    app.shares.push_back(std::move(share));
  }
  for (const auto& model_node : node.require_array("nodes")) {
    model_node.reject_unknown({"id", "name", "kind", "dimensions", "result"});
    ModelNode model{require_nonempty(model_node, "id"), require_nonempty(model_node, "name"), NodeKind::table, {}, {}};
    if (app.find_node(model.id)) model_node.fail("id", "duplicate node " + model.id);
    auto kind = parse_node_kind(model_node.require_string("kind"));
    if (!kind) model_node.fail("kind", "must be table, cube or indicator");
    model.kind = *kind;
    for (const auto& dimension : model_node.optional_array("dimensions")) {
      if (!dimension.value().is_string()) model_node.fail("dimensions", "entries must be strings");
      model.dimensions.push_back(dimension.value().get<std::string>());
    }
    if (model.kind == NodeKind::cube && model.dimensions.empty())
      model_node.fail("dimensions", "a cube needs at least one dimension");
    model.result = require_value(model_node, "result");
    app.nodes.push_back(std::move(model));
  }
  for (const auto& input_node : node.optional_array("inputs")) {
    input_node.reject_unknown({"id", "name", "node", "value"});
    ModelInput input{require_nonempty(input_node, "id"), require_nonempty(input_node, "name"),
                     require_nonempty(input_node, "node"), require_value(input_node, "value")};
    if (!app.find_node(input.node)) input_node.fail("node", "unknown node " + input.node);
    if (app.find_input(input.id)) input_node.fail("id", "duplicate input " + input.id);
    app.inputs.push_back(std::move(input));
  }
  for (const auto& version_node : node.optional_array("versions")) {
    version_node.reject_unknown({"id", "name", "created_by"});
    AppVersion version;
    version.id = require_nonempty(version_node, "id");
    version.name = require_nonempty(version_node, "name");
    version.created_by = version_node.optional_string("created_by", app.owner);
    for (const auto& input : app.inputs) version.inputs[input.id] = input.value;
    app.versions.push_back(std::move(version));
  }
  for (const auto& tool_node : node.optional_array("tools")) {
    tool_node.reject_unknown({"id", "name", "description", "exposed", "steps"});
    AppTool tool{require_nonempty(tool_node, "id"), require_nonempty(tool_node, "name"),
                 tool_node.optional_string("description", ""), tool_node.optional_bool("exposed", false), 1};
    if (tool_node.has("steps")) {
      auto steps = require_number(tool_node, "steps");
      if (steps < 1 || steps > 100 || steps != static_cast<int>(steps)) tool_node.fail("steps", "must be 1 to 100");
      tool.steps = static_cast<int>(steps);
    }
    if (app.find_tool(tool.id)) tool_node.fail("id", "duplicate tool " + tool.id);
    app.tools.push_back(std::move(tool));
  }
  planning.add_application(std::move(app));
}

void add_clients(const ConfigNode& root, ClientRegistry& clients) {
  for (const auto& node : root.require_array("clients")) {
    auto parsed = parse_client(node.value());
    if (!parsed.client) node.fail(parsed.field, parsed.problem);
    if (clients.find(parsed.client->id)) node.fail("client_id", "duplicate client " + parsed.client->id);
    clients.add_client(std::move(*parsed.client));
  }
}

} // namespace

const char* to_string(TenantDomain domain) { return domain == TenantDomain::planning ? "planning" : "finance"; }

TenantFixture parse_tenant_fixture(const nlohmann::json& document, const std::string& file) {
  ConfigNode root(document, "", file);
  root.reject_unknown({"tenant", "display_name", "domain", "company", "departments", "teams", "custom_roles",
                       "entities", "users", "ledger", "applications", "clients", "mfa_required",
                       "identity_provider"});
  auto company_node = root.require_object("company");
  company_node.reject_unknown({"id", "name"});
  auto domain = root.optional_string("domain", "finance");
  if (domain != "finance" && domain != "planning") root.fail("domain", "must be finance or planning");
  TenantFixture fixture{
      domain == "planning" ? TenantDomain::planning : TenantDomain::finance,
      TenantDirectory(require_nonempty(root, "tenant"),
                      Company{require_nonempty(company_node, "id"), require_nonempty(company_node, "name")}),
      FinanceLedger{}, PlanningWorkspace{}, ClientRegistry{}, {}};
  add_organisation(root, fixture.directory);
  add_entities(root, fixture.directory);
  fixture.identity_provider = identity_provider_of(root);
  add_users(root, fixture.directory, fixture.credentials, fixture.identity_provider);
  add_ledger(root, fixture.directory, fixture.ledger);
  for (const auto& node : root.optional_array("applications")) add_application(node, fixture.directory, fixture.planning);
  add_clients(root, fixture.clients);
  return fixture;
}

TenantFixture load_tenant_fixture(const std::filesystem::path& file) {
  auto document = ConfigNode::load_file(file);
  return parse_tenant_fixture(document, file.string());
}

} // namespace mcpcert::backend
