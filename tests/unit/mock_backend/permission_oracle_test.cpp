// The permission model, branch by branch, on the checked-in planning seed
// (mock_backend/fixtures/us-planning.json): every role x sharing x membership
// case the seed was written to cover, and the changes the admin API makes.

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "mcpcert/mock_backend/permission_oracle.hpp"
#include "mcpcert/mock_backend/tenant_fixture.hpp"

namespace mcpcert::backend {
namespace {

TenantFixture planning_seed() {
  return load_tenant_fixture(std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/us-planning.json");
}

class PlanningSeed : public ::testing::Test {
protected:
  PlanningSeed() : fixture_(planning_seed()), oracle_(fixture_.directory, fixture_.planning) {}

  PermissionDecision decide(std::string_view user, std::string_view object, Operation operation) const {
    auto ref = ObjectRef::parse(object);
    EXPECT_TRUE(ref) << object;
    return oracle_.decide(user, *ref, operation);
  }
  bool allowed(std::string_view user, std::string_view object, Operation operation) const {
    return decide(user, object, operation).allowed;
  }
  bool via_mcp(std::string_view user, std::string_view object, Operation operation) const {
    return decide(user, object, operation).allowed_via_mcp;
  }

  TenantFixture fixture_;
  PermissionOracle oracle_;
};

TEST_F(PlanningSeed, OwnerEditsAndRunsTheirApplication) {
  EXPECT_TRUE(allowed("paul", "app:app-forecast", Operation::write));
  EXPECT_TRUE(allowed("paul", "node:app-forecast/cube-sales", Operation::read));
  EXPECT_TRUE(via_mcp("paul", "tool:app-forecast/tool-simulate", Operation::run));
}

TEST_F(PlanningSeed, UnexposedToolRunsInTheUiButNeverThroughAnAssistantEvenForTheOwner) {
  auto decision = decide("paul", "tool:app-forecast/tool-report", Operation::run);
  EXPECT_TRUE(decision.allowed);
  EXPECT_FALSE(decision.allowed_via_mcp);
  EXPECT_NE(decision.reason.find("not exposed"), std::string::npos);
}

TEST_F(PlanningSeed, AdminEditsEveryApplicationOfTheWorkspaceSharedOrNot) {
  for (auto app : {"app:app-forecast", "app:app-pipeline", "app:app-headcount", "app:app-board"})
    EXPECT_TRUE(allowed("olivia", app, Operation::write)) << app;
}

TEST_F(PlanningSeed, DepartmentShareGivesViewToTheDepartmentOnly) {
  EXPECT_TRUE(allowed("uma", "app:app-forecast", Operation::read));   // dep-finance
  EXPECT_FALSE(allowed("quinn", "app:app-forecast", Operation::read)); // dep-sales
}

TEST_F(PlanningSeed, TeamShareEditIsCappedByAViewerRole) {
  EXPECT_TRUE(allowed("rita", "app:app-forecast", Operation::read));
  auto write = decide("rita", "app:app-forecast", Operation::write);
  EXPECT_FALSE(write.allowed);
  EXPECT_NE(write.reason.find("role viewer"), std::string::npos);
}

TEST_F(PlanningSeed, CustomRoleRunsToolsButCannotWriteDespiteAnEditShare) {
  EXPECT_EQ(oracle_.access(*fixture_.directory.find_user("sam"), *fixture_.planning.find_application("app-pipeline")),
            AppAccess::edit);
  EXPECT_FALSE(allowed("sam", "app:app-pipeline", Operation::write));
  EXPECT_TRUE(allowed("sam", "tool:app-pipeline/tool-report", Operation::run));
  EXPECT_TRUE(allowed("sam", "node:app-pipeline/tbl-deals", Operation::read));
}

TEST_F(PlanningSeed, DirectUserShareAndCompanyShareAreAllAUserOutsideAnyGroupSees) {
  EXPECT_TRUE(allowed("tina", "app:app-pipeline", Operation::read));
  EXPECT_FALSE(allowed("tina", "app:app-pipeline", Operation::write)); // shared view only
  EXPECT_TRUE(allowed("tina", "app:app-headcount", Operation::read));
  EXPECT_FALSE(allowed("tina", "app:app-forecast", Operation::read));
  EXPECT_FALSE(allowed("tina", "app:app-board", Operation::read));
}

TEST_F(PlanningSeed, UnsharedApplicationIsTheOwnersAndAdminsOnly) {
  for (auto user : {"paul", "quinn", "rita", "sam", "tina", "uma"})
    EXPECT_FALSE(allowed(user, "node:app-board/ind-ebitda", Operation::read)) << user;
  EXPECT_TRUE(allowed("olivia", "node:app-board/ind-ebitda", Operation::read));
}

TEST_F(PlanningSeed, NoMcpAccessMeansAllowedInTheUiOnly) {
  auto decision = decide("uma", "node:app-forecast/tbl-revenue", Operation::read);
  EXPECT_TRUE(decision.allowed);
  EXPECT_FALSE(decision.allowed_via_mcp);
}

TEST_F(PlanningSeed, SuspendedUserMayDoNothing) {
  auto decision = decide("victor", "app:app-headcount", Operation::read);
  EXPECT_FALSE(decision.allowed);
  EXPECT_NE(decision.reason.find("suspended"), std::string::npos);
}

TEST_F(PlanningSeed, UnknownUsersObjectsAndMeaninglessOperationsAreDenied) {
  EXPECT_FALSE(allowed("nobody", "app:app-headcount", Operation::read));
  EXPECT_FALSE(allowed("olivia", "app:app-missing", Operation::read));
  EXPECT_FALSE(allowed("olivia", "node:app-forecast/missing", Operation::read));
  EXPECT_FALSE(allowed("olivia", "node:app-forecast/tbl-revenue", Operation::write));
  EXPECT_FALSE(allowed("olivia", "tool:app-forecast/tool-simulate", Operation::read));
}

TEST_F(PlanningSeed, ListingIsWhatTheUserMayRead) {
  auto ids = [&](std::string_view user) {
    std::vector<std::string> out;
    for (const auto* app : oracle_.visible_applications(user, "ws-northwind")) out.push_back(app->id);
    return out;
  };
  EXPECT_EQ(ids("tina"), (std::vector<std::string>{"app-headcount", "app-pipeline"}));
  EXPECT_EQ(ids("rita"), (std::vector<std::string>{"app-forecast", "app-headcount"}));
  EXPECT_EQ(ids("olivia").size(), 4u);
  EXPECT_TRUE(ids("victor").empty());
}

TEST_F(PlanningSeed, RoleAndMembershipChangesTakeEffectOnTheNextDecision) {
  auto& directory = fixture_.directory;
  EXPECT_EQ(directory.set_team_membership("quinn", "team-forecast", true), DirectoryChange::changed);
  EXPECT_TRUE(allowed("quinn", "app:app-forecast", Operation::write));
  EXPECT_EQ(directory.set_team_membership("quinn", "team-forecast", false), DirectoryChange::changed);
  EXPECT_FALSE(allowed("quinn", "app:app-forecast", Operation::read));

  EXPECT_EQ(directory.set_department("tina", "dep-finance"), DirectoryChange::changed);
  EXPECT_TRUE(allowed("tina", "app:app-forecast", Operation::read));
  EXPECT_EQ(directory.set_role("rita", "ws-northwind", "editor"), DirectoryChange::changed);
  EXPECT_TRUE(allowed("rita", "app:app-forecast", Operation::write));
  EXPECT_EQ(directory.set_role("rita", "ws-northwind", ""), DirectoryChange::changed);
  EXPECT_FALSE(allowed("rita", "app:app-forecast", Operation::read));

  EXPECT_EQ(directory.set_role("rita", "ws-northwind", "owner"), DirectoryChange::unknown_role);
  EXPECT_EQ(directory.set_department("tina", "dep-legal"), DirectoryChange::unknown_department);
  EXPECT_EQ(directory.set_team_membership("tina", "team-nope", true), DirectoryChange::unknown_team);
}

TEST_F(PlanningSeed, MatrixCoversEveryUserObjectAndOperation) {
  auto matrix = oracle_.matrix();
  std::size_t objects_operations = 2; // the workspace entity: read, write
  for (const auto* app : fixture_.planning.applications())
    objects_operations += 2 + app->nodes.size() + app->tools.size();
  EXPECT_EQ(matrix["cells"].size(), fixture_.directory.users().size() * objects_operations);
  std::map<std::string, int> allowed_by_user;
  for (const auto& cell : matrix["cells"])
    if (cell["allowed"].get<bool>()) ++allowed_by_user[cell["user"].get<std::string>()];
  EXPECT_EQ(allowed_by_user.count("victor"), 0u);
  EXPECT_GT(allowed_by_user["olivia"], allowed_by_user["tina"]);
}

TEST(ObjectRef, ParsesTheFourKindsAndRefusesTheRest) {
  EXPECT_EQ(ObjectRef::parse("node:app-a/n1")->to_string(), "node:app-a/n1");
  EXPECT_EQ(ObjectRef::parse("entity:ent-x")->kind, ObjectRef::Kind::entity);
  for (auto bad : {"", "app:", "app:a/b", "node:a", "node:/n", "node:a/", "tool:a/b/c", "user:x", "app"})
    EXPECT_FALSE(ObjectRef::parse(bad)) << bad;
}

TEST(TenantFixture, PlanningFixtureErrorsNameTheField) {
  auto parse = [](std::string_view text) { return parse_tenant_fixture(nlohmann::json::parse(text), "f.json"); };
  std::string base = R"({"tenant": "t", "domain": "planning", "company": {"id": "c", "name": "C"},
    "entities": [{"id": "ws", "name": "WS"}],
    "users": [{"id": "u", "password": "p", "default_entity": "ws", "roles": [{"entity": "ws", "role": "ROLE"}]}],
    "applications": [{"id": "a", "name": "A", "workspace": "ws", "owner": "u", "nodes": [NODE], "shares": [SHARE]}],
    "clients": []})";
  auto with = [&](std::string role, std::string node, std::string share) {
    auto text = base;
    text.replace(text.find("ROLE"), 4, role);
    text.replace(text.find("NODE"), 4, node);
    text.replace(text.find("SHARE"), 5, share);
    return text;
  };
  std::string good_node = R"({"id": "n", "name": "N", "kind": "table", "result": {}})";
  std::string good_share = R"({"scope": "company"})";
  EXPECT_NO_THROW(parse(with("viewer", good_node, good_share)));
  auto message = [&](std::string text) {
    try {
      parse(text);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message(with("owner", good_node, good_share)).find("role"), std::string::npos);
  EXPECT_NE(message(with("viewer", R"({"id": "n", "name": "N", "kind": "cube", "result": {}})", good_share))
                .find("dimensions"),
            std::string::npos);
  EXPECT_NE(message(with("viewer", good_node, R"({"scope": "team", "principal": "ghosts"})")).find("principal"),
            std::string::npos);
  EXPECT_NE(message(with("viewer", good_node, R"({"scope": "user", "principal": "u", "access": "none"})"))
                .find("access"),
            std::string::npos);
}

} // namespace
} // namespace mcpcert::backend
