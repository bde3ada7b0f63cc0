#include "mcpcert/mock_client/mutation.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

// A stand-in connector: a script that prints what --list-test-only-mutants would.
class FakeConnector : public testing::Test {
protected:
  std::filesystem::path script(const std::string& output, int exit_status = 0) {
    {
      std::ofstream file(path_);
      file << "#!/bin/sh\ncat <<'LIST'\n" << output << "\nLIST\nexit " << exit_status << "\n";
    }
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_ = std::filesystem::temp_directory_path() / ("fake-connector-" + std::to_string(::getpid()) + ".sh");
};

TEST_F(FakeConnector, ListsTheMutantsTheConnectorPrints) {
  const auto catalogue = list_connector_mutants(script(R"([{"name":"extra-tool","claim":"TOOLSET","defect":"exposes a debug tool"},
                                                            {"name":"plaintext-log","claim":"AT-REST"}])"));
  ASSERT_TRUE(catalogue.problem.empty()) << catalogue.problem;
  ASSERT_EQ(catalogue.mutants.size(), 2u);
  EXPECT_EQ(catalogue.mutants[0].name, "extra-tool");
  EXPECT_EQ(catalogue.mutants[0].claim, "TOOLSET");
  EXPECT_EQ(catalogue.mutants[0].defect, "exposes a debug tool");
  EXPECT_EQ(catalogue.mutants[1].defect, "");
}

TEST_F(FakeConnector, SaysWhyWhenTheListIsUnusable) {
  EXPECT_THAT(list_connector_mutants(script("usage: ...", 2)).problem, HasSubstr("gave no JSON list (exit status 2)"));
  EXPECT_THAT(list_connector_mutants(script(R"([{"name":"x"}])")).problem, HasSubstr("lacks its name or claim"));
  EXPECT_THAT(list_connector_mutants("/nonexistent/mcpcert-connector").problem, HasSubstr("was not found"));
}

Scenario scenario_of(std::string name, std::vector<std::string> claims) {
  Scenario scenario;
  scenario.name = std::move(name);
  scenario.claims = std::move(claims);
  return scenario;
}

TEST(Mutation, RunsAMutantAgainstTheScenariosOfItsClaim) {
  const std::vector<Scenario> scenarios{scenario_of("tls", {"TLS-MIN"}), scenario_of("audience", {"MCP-AUTH-RS", "TOKEN-SCOPE"}),
                                        scenario_of("auth", {"MCP-AUTH-RS"})};
  const ConnectorMutant audience{"audience-unchecked", "MCP-AUTH-RS", "accepts tokens for another resource"};
  std::vector<std::string> names;
  for (const auto* scenario : scenarios_against(audience, scenarios, false)) names.push_back(scenario->name);
  EXPECT_EQ(names, (std::vector<std::string>{"audience", "auth"}));
  EXPECT_EQ(scenarios_against(audience, scenarios, true).size(), 3u);
  EXPECT_TRUE(scenarios_against({"x", "LOG-DURABLE", ""}, scenarios, false).empty());
}

TEST(Mutation, ReportsWhichClaimsCaughtEachMutant) {
  MutantVerdict caught{{"audience-unchecked", "MCP-AUTH-RS", ""}, {"audience"}, {"TOKEN-SCOPE", "MCP-AUTH-RS"}, "audience: step 5"};
  MutantVerdict elsewhere{{"plaintext-log", "AT-REST", ""}, {"at-rest"}, {"LOG-FIELDS"}, "every scenario checking AT-REST passed"};
  MutantVerdict missed{{"buffered-log", "LOG-DURABLE", ""}, {}, {}, "no scenario checks LOG-DURABLE"};
  EXPECT_TRUE(caught.caught());
  EXPECT_FALSE(elsewhere.caught()); // caught, but not by the claim it breaks
  EXPECT_FALSE(missed.caught());

  const auto json = mutants_json({caught, missed});
  ASSERT_EQ(json["mutants"].size(), 2u);
  EXPECT_EQ(json["mutants"][0], (nlohmann::json{{"name", "audience-unchecked"}, {"claim", "MCP-AUTH-RS"}, {"component", "connector"},
                                                 {"caught_by", {"TOKEN-SCOPE", "MCP-AUTH-RS"}}}));
  EXPECT_EQ(json["mutants"][1]["caught_by"], nlohmann::json::array());

  std::ostringstream table;
  print_mutant_table(table, {caught, elsewhere, missed}, false);
  EXPECT_THAT(table.str(), HasSubstr("mutant"));
  EXPECT_THAT(table.str(), HasSubstr("claim it breaks"));
  EXPECT_THAT(table.str(), testing::ContainsRegex("audience-unchecked +MCP-AUTH-RS +TOKEN-SCOPE, MCP-AUTH-RS"));
  EXPECT_THAT(table.str(), testing::ContainsRegex("plaintext-log +AT-REST +NOT CAUGHT \\(only by LOG-FIELDS\\)"));
  EXPECT_THAT(table.str(), HasSubstr("no scenario checks LOG-DURABLE"));
  EXPECT_THAT(table.str(), HasSubstr("3 mutant(s): 1 caught by their own claim, 2 not caught"));
}

} // namespace
} // namespace mcpcert::client
