#include "mcpcert/mock_backend/tenant_generator.hpp"

#include <random>
#include <stdexcept>

namespace mcpcert::backend {
namespace {

/// Uniform in [0, bound) from the engine's raw output: the standard
/// distributions differ between library implementations, the engine doesn't.
std::uint64_t pick(std::mt19937_64& engine, std::uint64_t bound) { return engine() % bound; }

std::string numbered(const char* prefix, int number, int width) {
  std::string digits = std::to_string(number);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return prefix + digits;
}

} // namespace

nlohmann::json generate_tenant_fixture(const GeneratedTenantSpec& spec) {
  if (spec.users < 1 || spec.users > 1'000'000) throw std::invalid_argument("--users must be 1 to 1000000");
  if (spec.applications < 1 || spec.applications > 1'000'000)
    throw std::invalid_argument("--apps must be 1 to 1000000");
  std::mt19937_64 engine(spec.seed);
  const int departments = std::max(1, spec.users / 200);
  const int teams = std::max(1, spec.users / 40);
  const std::string workspace = "ws-main";

  nlohmann::json fixture = {
      {"tenant", spec.tenant},
      {"display_name", "Generated planning tenant (seed " + std::to_string(spec.seed) + ")"},
      {"domain", "planning"},
      {"company", {{"id", "co-generated"}, {"name", "Generated Inc."}}},
      {"custom_roles", {{{"id", "analyst"}, {"name", "Analyst"}, {"permissions", {"read", "run_tools"}}}}},
      {"entities", {{{"id", workspace}, {"name", "Main workspace"}, {"currency", "USD"}}}},
  };
  auto& department_list = fixture["departments"] = nlohmann::json::array();
  for (int d = 1; d <= departments; ++d)
    department_list.push_back({{"id", numbered("dep-", d, 4)}, {"name", "Department " + std::to_string(d)}});
  auto& team_list = fixture["teams"] = nlohmann::json::array();
  for (int t = 1; t <= teams; ++t)
    team_list.push_back({{"id", numbered("team-", t, 5)},
                         {"name", "Team " + std::to_string(t)},
                         {"department", numbered("dep-", 1 + static_cast<int>(pick(engine, departments)), 4)}});

  auto& users = fixture["users"] = nlohmann::json::array();
  for (int u = 1; u <= spec.users; ++u) {
    const auto id = numbered("user-", u, 6);
    // 2% administrators, 30% editors, 58% viewers, 10% analysts (the custom role).
    const auto draw = pick(engine, 100);
    const char* role = draw < 2 ? "admin" : draw < 32 ? "editor" : draw < 90 ? "viewer" : "analyst";
    nlohmann::json user = {
        {"id", id},
        {"password", "pw-" + id},
        {"default_entity", workspace},
        {"roles", {{{"entity", workspace}, {"role", role}, {"mcp_access", pick(engine, 10) != 0}}}},
    };
    if (pick(engine, 20) != 0) user["department"] = numbered("dep-", 1 + static_cast<int>(pick(engine, departments)), 4);
    nlohmann::json memberships = nlohmann::json::array();
    for (auto n = pick(engine, 3); n > 0; --n) {
      auto team = numbered("team-", 1 + static_cast<int>(pick(engine, teams)), 5);
      if (std::find(memberships.begin(), memberships.end(), team) == memberships.end()) memberships.push_back(team);
    }
    if (!memberships.empty()) user["teams"] = memberships;
    if (pick(engine, 100) == 0) user["suspended"] = true;
    users.push_back(std::move(user));
  }

  auto& apps = fixture["applications"] = nlohmann::json::array();
  for (int a = 1; a <= spec.applications; ++a) {
    const auto id = numbered("app-", a, 5);
    nlohmann::json shares = nlohmann::json::array();
    for (auto n = pick(engine, 4); n > 0; --n) {
      const auto scope = pick(engine, 10);
      const char* access = pick(engine, 3) == 0 ? "edit" : "view";
      if (scope == 0)
        shares.push_back({{"scope", "company"}, {"access", access}});
      else if (scope < 4)
        shares.push_back({{"scope", "department"},
                          {"principal", numbered("dep-", 1 + static_cast<int>(pick(engine, departments)), 4)},
                          {"access", access}});
      else if (scope < 8)
        shares.push_back({{"scope", "team"},
                          {"principal", numbered("team-", 1 + static_cast<int>(pick(engine, teams)), 5)},
                          {"access", access}});
      else
        shares.push_back({{"scope", "user"},
                          {"principal", numbered("user-", 1 + static_cast<int>(pick(engine, spec.users)), 6)},
                          {"access", access}});
    }
    apps.push_back({
        {"id", id},
        {"name", "Application " + std::to_string(a)},
        {"workspace", workspace},
        {"owner", numbered("user-", 1 + static_cast<int>(pick(engine, spec.users)), 6)},
        {"shares", shares},
        {"nodes",
         {{{"id", "tbl-main"}, {"name", "Main table"}, {"kind", "table"},
           {"result", {{"columns", {"item", "value"}}, {"rows", {{"a", static_cast<int>(pick(engine, 1000))}}}}}},
          {{"id", "cube-main"}, {"name", "Main cube"}, {"kind", "cube"}, {"dimensions", {"region", "month"}},
           {"result", {{"cells", {{{"region", "North"}, {"month", "2026-01"}, {"value", static_cast<int>(pick(engine, 1000))}}}}}}},
          {{"id", "ind-main"}, {"name", "Main indicator"}, {"kind", "indicator"},
           {"result", {{"value", static_cast<double>(pick(engine, 1000)) / 1000.0}, {"unit", "ratio"}}}}}},
        {"inputs", {{{"id", "in-main"}, {"name", "Main input"}, {"node", "cube-main"}, {"value", 1}}}},
        {"tools",
         {{{"id", "tool-simulate"}, {"name", "Simulation"}, {"exposed", true}, {"steps", 3}},
          {{"id", "tool-report"}, {"name", "Report"}, {"exposed", pick(engine, 2) == 0}}}},
    });
  }
  fixture["clients"] = {
      {{"client_id", "mcpcert-scripted-client"}, {"name", "mcpcert scripted client"}, {"type", "public"},
       {"redirect_uris", {"http://127.0.0.1/callback"}}},
      {{"client_id", "mcpcert-connector"}, {"name", "mcpcert reference connector"}, {"type", "confidential"},
       {"client_secret", "connector-secret-generated-0001"}},
  };
  return fixture;
}

} // namespace mcpcert::backend
