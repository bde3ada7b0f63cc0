#include "mcpcert/mock_client/scenario.hpp"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

class ScenarioFile : public testing::Test {
protected:
  std::filesystem::path write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string error_of(const std::string& text) {
    try {
      load_scenario(write(text));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  }

  std::filesystem::path path_ = std::filesystem::temp_directory_path() / ("scenario-test-" + std::to_string(::getpid()) + ".yaml");
};

const std::string header = "scenario: s\ntitle: t\nclaims: [REVOKE-ADMIN]\nnotice: {source: a, sentence: b}\ntenant: emea-finance\n";

TEST_F(ScenarioFile, LoadsStepsWithLinesAndDefaults) {
  const auto scenario = load_scenario(write(header + "steps:\n  - authorize: {as: alice}\n  - admin: {action: revoke_mcp_access, user: alice, entity: e, mark: m}\n"
                                                     "  - assert_audit: {after: m, count: 0}\n"));
  ASSERT_EQ(scenario.steps.size(), 3u);
  EXPECT_EQ(scenario.steps[0].kind, "authorize");
  EXPECT_EQ(scenario.steps[0].line, 7);
  EXPECT_EQ(scenario.steps[0].args["scope"], "finance:read");
  EXPECT_EQ(scenario.steps[2].args["listener"], "any");
  EXPECT_EQ(scenario.steps[2].args["count"], 0);
  EXPECT_EQ(scenario.claims, std::vector<std::string>{"REVOKE-ADMIN"});
}

TEST_F(ScenarioFile, ToolArgumentsKeepTheirTypes) {
  const auto scenario = load_scenario(write(header + "steps:\n  - call_tool: {as: a, tool: t, arguments: {n: 3, f: 1.5, b: true, s: 'x', q: \"7\"}, expect: {outcome: success}}\n"));
  const auto& arguments = scenario.steps[0].args["arguments"];
  EXPECT_EQ(arguments["n"], 3);
  EXPECT_EQ(arguments["f"], 1.5);
  EXPECT_EQ(arguments["b"], true);
  EXPECT_EQ(arguments["s"], "x");
  EXPECT_EQ(arguments["q"], "7");
}

TEST_F(ScenarioFile, ErrorsNameFileLineAndField) {
  EXPECT_THAT(error_of(header + "steps:\n  - call_tool: {as: a, tool: t}\n"),
              testing::AllOf(testing::HasSubstr(path_.string() + ":7:"), testing::HasSubstr("scenario.steps[0].call_tool.expect"),
                             testing::HasSubstr("required")));
  EXPECT_THAT(error_of(header + "steps:\n  - fly: {}\n"), testing::HasSubstr("unknown step 'fly'"));
  EXPECT_THAT(error_of(header + "steps:\n  - authorize: {as: a, colour: red}\n"),
              testing::HasSubstr("scenario.steps[0].authorize.colour: unknown field"));
  EXPECT_THAT(error_of(header + "steps:\n  - assert_audit: {count: many}\n"), testing::HasSubstr("must be an integer"));
  EXPECT_THAT(error_of(header + "steps:\n  - assert_audit: {after: nowhere}\n"), testing::HasSubstr("no earlier step sets mark"));
  EXPECT_THAT(error_of("scenario: s\ntitle: t\nclaims: [NOT-A-CLAIM]\nnotice: {source: a, sentence: b}\ntenant: x\nsteps: [{authorize: {as: a}}]\n"),
              testing::AllOf(testing::HasSubstr(":3:"), testing::HasSubstr("unknown claim id 'NOT-A-CLAIM'")));
  EXPECT_THAT(error_of("scenario: [unclosed\n"), testing::HasSubstr("YAML syntax error"));
  EXPECT_THAT(error_of(header), testing::HasSubstr("scenario.steps: required field is missing"));
}

} // namespace
} // namespace mcpcert::client
