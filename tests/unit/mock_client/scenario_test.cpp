#include "mcpcert/mock_client/scenario.hpp"

#include <fstream>
#include <set>

#include "mcpcert/mock_client/world.hpp"

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

namespace mcpcert::client {
namespace {

class NewSteps : public ScenarioFile {};

const std::string authorized = header + "steps:\n  - authorize: {as: alice}\n  - connect: {as: alice}\n";

TEST_F(NewSteps, RawRequestResolvesTokensAndFillsDefaults) {
  const auto scenario = load_scenario(write(authorized +
                                            "  - raw_request: {token: alice, session: alice, json: {jsonrpc: '2.0', id: 1, method: ping}, expect: {status: 200}}\n"
                                            "  - raw_request: {token: garbage.token, expect: {status: [401, 403]}}\n"
                                            "  - raw_request: {path: /x, expect: {status: 404}}\n"
                                            "  - raw_request: {token: {of: alice, tamper: alg_none, claims: {aud: other}}, body: '{oops', expect: {jsonrpc_error: -32700}}\n"
                                            "  - raw_request: {token: {literal: alice}, expect: {status: 401}}\n"));
  ASSERT_EQ(scenario.steps.size(), 7u);
  const auto& identity = scenario.steps[2].args;
  EXPECT_EQ(identity["token"]["kind"], "identity");
  EXPECT_EQ(identity["token"]["of"], "alice");
  EXPECT_EQ(identity["session"], "alice");
  EXPECT_EQ(identity["method"], "POST");
  EXPECT_EQ(identity["json"]["jsonrpc"], "2.0");
  EXPECT_EQ(identity["token_in"], "header");
  EXPECT_EQ(identity["expect"]["status"], nlohmann::json::array({200}));
  EXPECT_EQ(scenario.steps[3].args["token"]["kind"], "literal");
  EXPECT_EQ(scenario.steps[3].args["token"]["value"], "garbage.token");
  EXPECT_EQ(scenario.steps[3].args["expect"]["status"], nlohmann::json::array({401, 403}));
  EXPECT_EQ(scenario.steps[4].args["method"], "GET");
  EXPECT_EQ(scenario.steps[4].args["token"]["kind"], "none");
  EXPECT_EQ(scenario.steps[5].args["token"]["tamper"], "alg_none");
  EXPECT_EQ(scenario.steps[5].args["token"]["claims"]["aud"], "other");
  EXPECT_EQ(scenario.steps[6].args["token"]["kind"], "literal");
}

TEST_F(NewSteps, ExpectationsAreCheckedAtLoadTime) {
  const auto scenario = load_scenario(write(authorized +
                                            "  - raw_request:\n"
                                            "      expect:\n"
                                            "        header: {WWW-Authenticate: Bearer, X-A: {regex: '^a+$'}, X-B: {absent: true}}\n"
                                            "        json: {/error/code: -32600, '': {}}\n"
                                            "        www_authenticate: {error: invalid_token, resource_metadata: '${mcp_origin}/m'}\n"));
  const auto& expect = scenario.steps[2].args["expect"];
  EXPECT_EQ(expect["header"]["WWW-Authenticate"]["contains"], "Bearer");
  EXPECT_EQ(expect["header"]["X-A"]["regex"], "^a+$");
  EXPECT_EQ(expect["header"]["X-B"]["absent"], true);
  EXPECT_EQ(expect["json"]["/error/code"], -32600);
  EXPECT_EQ(expect["www_authenticate"]["resource_metadata"], "${mcp_origin}/m");
}

TEST_F(NewSteps, RawRequestErrorsNameFileLineAndField) {
  using testing::AllOf;
  using testing::HasSubstr;
  EXPECT_THAT(error_of(authorized + "  - raw_request: {token: alice}\n"),
              AllOf(HasSubstr(path_.string() + ":9:"), HasSubstr("raw_request.expect: required")));
  EXPECT_THAT(error_of(authorized + "  - raw_request:\n      expect: {status: 99}\n"),
              AllOf(HasSubstr(":10:"), HasSubstr("expect.status"), HasSubstr("between 100 and 599")));
  EXPECT_THAT(error_of(authorized + "  - raw_request:\n      expect:\n        header: {X: {regex: '(unclosed'}}\n"),
              AllOf(HasSubstr(":11:"), HasSubstr("expect.header.X.regex"), HasSubstr("not a valid regular expression")));
  EXPECT_THAT(error_of(authorized + "  - raw_request:\n      expect:\n        json: {error/code: 1}\n"),
              AllOf(HasSubstr(":11:"), HasSubstr("is not a JSON pointer")));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {body: x, json: {a: 1}, expect: {status: 200}}\n"),
              HasSubstr("give body or json, not both"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {session: bob, expect: {status: 200}}\n"),
              AllOf(HasSubstr("raw_request.session"), HasSubstr("no earlier authorize step names identity 'bob'")));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {token: {of: bob}, expect: {status: 200}}\n"),
              HasSubstr("raw_request.token.of: no earlier authorize step names identity 'bob'"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {token: {of: alice, tamper: rot13}, expect: {status: 200}}\n"),
              HasSubstr("'rot13' is not one of: none, signature, alg_none"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {path: relative, expect: {status: 200}}\n"), HasSubstr("must start with '/'"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {path: /a, url: 'http://x/', expect: {status: 200}}\n"), HasSubstr("give path or url"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {url: /api, expect: {status: 200}}\n"), HasSubstr("absolute http(s) URL"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {method: get, expect: {status: 200}}\n"), HasSubstr("upper-case HTTP method"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {token_in: query, expect: {status: 401}}\n"), HasSubstr("needs a token"));
  EXPECT_THAT(error_of(authorized + "  - raw_request: {path: '/${nope}', expect: {status: 200}}\n"),
              AllOf(HasSubstr(":9:"), HasSubstr("unknown placeholder ${nope}")));
  // An identity authorized only later is not known yet: the token would be sent as literal text.
  const auto later = load_scenario(write(header + "steps:\n  - raw_request: {token: bob, expect: {status: 401}}\n  - authorize: {as: bob}\n"));
  EXPECT_EQ(later.steps[0].args["token"]["kind"], "literal");
}

TEST_F(NewSteps, ClockRefreshToolsAndAuditSteps) {
  const auto scenario = load_scenario(write(authorized +
                                            "  - advance_clock: {seconds: 60}\n"
                                            "  - advance_clock: {token_age: 3599, of: alice}\n"
                                            "  - refresh: {as: alice}\n"
                                            "  - refresh: {as: alice, use: previous, expect: {outcome: refused, error: invalid_grant}}\n"
                                            "  - list_tools: {as: alice, expect: {names: [get_kpis]}}\n"
                                            "  - mark_audit: {mark: m}\n"
                                            "  - mark_audit: {mark: n}\n"
                                            "  - assert_audit: {after: m, before: n, token_of: alice, count: 0, every: {actor: c, subject: alice}}\n"));
  ASSERT_EQ(scenario.steps.size(), 10u);
  EXPECT_EQ(scenario.steps[2].args["seconds"], 60);
  EXPECT_EQ(scenario.steps[3].args["token_age"], 3599);
  EXPECT_EQ(scenario.steps[4].args["use"], "current");
  EXPECT_EQ(scenario.steps[5].args["expect"]["error"], "invalid_grant");
  EXPECT_EQ(scenario.steps[6].args["expect"]["names"], nlohmann::json::array({"get_kpis"}));
  EXPECT_EQ(scenario.steps[9].args["every"]["actor"], "c");
  EXPECT_EQ(scenario.steps[9].args["token_of"], "alice");
}

TEST_F(NewSteps, ClockRefreshToolsAndAuditErrors) {
  using testing::HasSubstr;
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {}\n"), HasSubstr("give seconds, or token_age with of"));
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {seconds: 1, token_age: 2, of: alice}\n"), HasSubstr("give seconds, or token_age"));
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {seconds: -5}\n"), HasSubstr("time only moves forward"));
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {token_age: 5}\n"), HasSubstr("token_age and of go together"));
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {token_age: 5, of: carol}\n"), HasSubstr("advance_clock.of: no earlier authorize"));
  EXPECT_THAT(error_of(authorized + "  - refresh: {as: bob}\n"), HasSubstr("refresh.as: no earlier authorize step names identity 'bob'"));
  EXPECT_THAT(error_of(authorized + "  - refresh: {as: alice, use: oldest}\n"), HasSubstr("'oldest' is not one of: current, previous"));
  EXPECT_THAT(error_of(authorized + "  - list_tools: {as: alice, expect: {}}\n"), HasSubstr("list_tools.expect.names: required"));
  EXPECT_THAT(error_of(authorized + "  - assert_audit: {before: later}\n"), HasSubstr("no earlier step sets mark 'later'"));
  EXPECT_THAT(error_of(authorized + "  - assert_audit: {token_of: bob}\n"), HasSubstr("assert_audit.token_of: no earlier authorize"));
  EXPECT_THAT(error_of(authorized + "  - assert_audit: {every: {colour: red}}\n"), HasSubstr("every.colour: unknown field"));
  EXPECT_THAT(error_of(authorized + "  - mark_audit: {}\n"), HasSubstr("mark_audit.mark: required"));
}

TEST_F(NewSteps, EveryShippedScenarioLoads) {
  // The files under scenarios/ are data the certify command depends on: a typo must fail here first.
  const auto files = find_scenario_files({Installation::detect().scenarios_dir()});
  ASSERT_FALSE(files.empty());
  std::set<std::string> names;
  for (const auto& file : files) {
    Scenario scenario;
    ASSERT_NO_THROW(scenario = load_scenario(file)) << file;
    EXPECT_TRUE(names.insert(scenario.name).second) << "duplicate scenario name " << scenario.name;
    EXPECT_FALSE(scenario.notice.sentence.empty()) << file;
  }
}

} // namespace
} // namespace mcpcert::client
