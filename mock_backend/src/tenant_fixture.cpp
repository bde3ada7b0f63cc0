#include "mcpcert/mock_backend/tenant_fixture.hpp"

#include <set>

#include "mcpcert/config.hpp"

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

void add_users(const ConfigNode& root, TenantDirectory& directory, std::vector<FixtureCredential>& credentials) {
  for (const auto& node : root.require_array("users")) {
    node.reject_unknown({"id", "display_name", "password", "default_entity", "suspended", "roles"});
    UserSpec user;
    user.id = require_nonempty(node, "id");
    if (directory.find_user(user.id)) node.fail("id", "duplicate user " + user.id);
    user.display_name = node.optional_string("display_name", user.id);
    user.password = require_nonempty(node, "password");
    user.suspended = node.optional_bool("suspended", false);
    for (const auto& role_node : node.require_array("roles")) {
      role_node.reject_unknown({"entity", "role", "mcp_access"});
      RoleAssignment assignment;
      assignment.entity = require_nonempty(role_node, "entity");
      if (!directory.find_entity(assignment.entity)) role_node.fail("entity", "unknown entity " + assignment.entity);
      for (const auto& existing : user.roles)
        if (existing.entity == assignment.entity) role_node.fail("entity", "second role on " + assignment.entity);
      auto role = parse_role(role_node.require_string("role"));
      if (!role) role_node.fail("role", "must be viewer, editor or admin");
      assignment.role = *role;
      assignment.mcp_access = role_node.optional_bool("mcp_access", false);
      user.roles.push_back(std::move(assignment));
    }
    user.default_entity = require_nonempty(node, "default_entity");
    bool has_role = false;
    for (const auto& assignment : user.roles) has_role = has_role || assignment.entity == user.default_entity;
    if (!has_role) node.fail("default_entity", "the user has no role on " + user.default_entity);
    credentials.push_back({user.id, user.password});
    directory.add_user(std::move(user));
  }
}

void add_ledger(const ConfigNode& root, const TenantDirectory& directory, FinanceLedger& ledger) {
  for (const auto& book : root.optional_array("ledger")) {
    book.reject_unknown({"entity", "kpis"});
    auto entity_id = require_nonempty(book, "entity");
    const Entity* entity = directory.find_entity(entity_id);
    if (!entity) book.fail("entity", "unknown entity " + entity_id);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& node : book.require_array("kpis")) {
      node.reject_unknown({"id", "name", "period", "value", "currency"});
      Kpi kpi{require_nonempty(node, "id"), require_nonempty(node, "name"), require_nonempty(node, "period"),
              require_number(node, "value"), node.optional_string("currency", entity->currency)};
      if (!seen.emplace(kpi.id, kpi.period).second) node.fail("id", "duplicate KPI " + kpi.id + " for " + kpi.period);
      ledger.add(entity_id, std::move(kpi));
    }
  }
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

TenantFixture parse_tenant_fixture(const nlohmann::json& document, const std::string& file) {
  ConfigNode root(document, "", file);
  root.reject_unknown({"tenant", "display_name", "company", "entities", "users", "ledger", "clients"});
  auto company_node = root.require_object("company");
  company_node.reject_unknown({"id", "name"});
  TenantFixture fixture{
      TenantDirectory(require_nonempty(root, "tenant"),
                      Company{require_nonempty(company_node, "id"), require_nonempty(company_node, "name")}),
      FinanceLedger{}, ClientRegistry{}, {}};
  add_entities(root, fixture.directory);
  add_users(root, fixture.directory, fixture.credentials);
  add_ledger(root, fixture.directory, fixture.ledger);
  add_clients(root, fixture.clients);
  return fixture;
}

TenantFixture load_tenant_fixture(const std::filesystem::path& file) {
  auto document = ConfigNode::load_file(file);
  return parse_tenant_fixture(document, file.string());
}

} // namespace mcpcert::backend
