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

TEST_F(ScenarioFile, AuthorizeNamesItsClientAndTheAuditItsOutboundRecords) {
  const auto scenario = load_scenario(write(header + "steps:\n  - authorize: {as: alice, client: metadata_document}\n"
                                                     "  - assert_audit: {listener: outbound, count: 1}\n"));
  EXPECT_EQ(scenario.steps[0].args["client"], "metadata_document");
  EXPECT_EQ(scenario.steps[1].args["listener"], "outbound");
  EXPECT_EQ(load_scenario(write(header + "steps:\n  - authorize: {as: alice}\n")).steps[0].args["client"], "pre_registered");
  EXPECT_THAT(error_of(header + "steps:\n  - authorize: {as: alice, client: dynamic}\n"),
              testing::HasSubstr("scenario.steps[0].authorize.client"));
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
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {seconds: -5}\n"), HasSubstr("advance_clock only moves forward (rewind_clock moves back)"));
  EXPECT_THAT(error_of(authorized + "  - advance_clock: {token_age: 5}\n"), HasSubstr("token_age and of go together"));
  EXPECT_THAT(error_of(authorized + "  - rewind_clock: {seconds: 0}\n"), HasSubstr("rewind_clock.seconds: must be a positive number"));
  EXPECT_THAT(error_of(authorized + "  - rewind_clock: {}\n"), HasSubstr("rewind_clock.seconds: required"));
  EXPECT_THAT(error_of(authorized + "  - restart_backend: {how: gently}\n"), HasSubstr("'gently' is not one of: crash, stop"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {times: 2}\n"), HasSubstr("concurrently.steps: required field is missing"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {steps: [{advance_clock: {seconds: 1}}]}\n"),
              HasSubstr("'advance_clock' can't run concurrently"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {steps: [{refresh: {as: alice}}], times: 51}\n"), HasSubstr("times: must be between 1 and 50"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {steps: [{refresh: {as: alice}}], times: 3, expect: {passed: 4}}\n"),
              HasSubstr("expect.passed: must be between 0 and the 3 steps started"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {steps: [{concurrently: {steps: [{refresh: {as: alice}}]}}]}\n"),
              HasSubstr("concurrently steps do not nest"));
  EXPECT_THAT(error_of(authorized + "  - concurrently: {steps: [{refresh: {as: nobody}}]}\n"), HasSubstr("no earlier authorize step names identity 'nobody'"));
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

namespace mcpcert::client {
namespace {

class LogAndStorageSteps : public ScenarioFile {};

const std::string signed_in = header + "steps:\n  - authorize: {as: alice}\n  - connect: {as: alice}\n";

TEST_F(LogAndStorageSteps, LoadWithTheirFields) {
  const auto scenario = load_scenario(write(signed_in +
                                            "  - tls_probe: {version: 1.0, expect: refused}\n"
                                            "  - tls_probe: {version: \"1.3\", expect: completed}\n"
                                            "  - mark_log: {mark: start}\n"
                                            "  - call_tool: {as: alice, tool: get_kpis, label: first, expect: {outcome: success}}\n"
                                            "  - assert_log:\n"
                                            "      after: start\n"
                                            "      kind: tool_call\n"
                                            "      user: alice\n"
                                            "      count: 1\n"
                                            "      fields: [tool, user]\n"
                                            "      only_fields: [tool, user, at_ms]\n"
                                            "      store: eu-central-1\n"
                                            "      absent: ['${sub:alice}']\n"
                                            "      request_ids_of: [first]\n"
                                            "  - assert_log: {before: start, unchanged_since: start}\n"
                                            "  - scan_storage: {target: connector_log, absent: ['${access_token:alice}', 127.0.0.1], present: [get_kpis]}\n"
                                            "  - authorize: {as: elsewhere, user: alice, resource: '${decoy_resource}'}\n"
                                            "  - scan_storage: {target: backend_state, absent: ['${refresh_token:elsewhere}', '${code:alice}']}\n"));
  ASSERT_EQ(scenario.steps.size(), 11u);
  EXPECT_EQ(scenario.steps[2].kind, "tls_probe");
  EXPECT_EQ(scenario.steps[2].args["version"], "1.0");
  EXPECT_EQ(scenario.steps[3].args["expect"], "completed");
  EXPECT_EQ(scenario.steps[5].args["label"], "first");
  const auto& log = scenario.steps[6].args;
  EXPECT_EQ(log["after"], "start");
  EXPECT_EQ(log["user"], "alice");
  EXPECT_EQ(log["fields"], nlohmann::json::array({"tool", "user"}));
  EXPECT_EQ(log["store"], "eu-central-1");
  EXPECT_EQ(log["request_ids_of"], nlohmann::json::array({"first"}));
  EXPECT_EQ(scenario.steps[7].args["unchanged_since"], "start");
  EXPECT_EQ(scenario.steps[8].args["absent"], nlohmann::json::array({"${access_token:alice}", "127.0.0.1"}));
  EXPECT_EQ(scenario.steps[9].args["resource"], "${decoy_resource}");
  EXPECT_EQ(scenario.steps[10].args["target"], "backend_state");
}

TEST_F(LogAndStorageSteps, ErrorsNameFileLineAndField) {
  using testing::AllOf;
  using testing::HasSubstr;
  EXPECT_THAT(error_of(signed_in + "  - tls_probe: {version: \"1.4\", expect: refused}\n"),
              AllOf(HasSubstr(path_.string() + ":9:"), HasSubstr("tls_probe.version: '1.4' is not one of: 1.0, 1.1, 1.2, 1.3")));
  EXPECT_THAT(error_of(signed_in + "  - tls_probe: {version: \"1.2\"}\n"), HasSubstr("tls_probe.expect: required"));
  EXPECT_THAT(error_of(signed_in + "  - mark_log: {}\n"), HasSubstr("mark_log.mark: required"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {kind: tool_call}\n"), AllOf(HasSubstr(":9:"), HasSubstr("asserts nothing")));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {kind: audit, count: 1}\n"), HasSubstr("'audit' is not one of: tool_call, auth_event"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {count: -1}\n"), HasSubstr("assert_log.count: must not be negative"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {user: bob, count: 1}\n"),
              HasSubstr("assert_log.user: no earlier authorize step names identity 'bob'"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {fields: [], count: 1}\n"), HasSubstr("assert_log.fields: must list at least one value"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {request_ids_of: [first]}\n"),
              AllOf(HasSubstr(":9:"), HasSubstr("request_ids_of[0]: no earlier call_tool step has label 'first'")));
  EXPECT_THAT(error_of(signed_in + "  - call_tool: {as: alice, tool: t, label: a, expect: {outcome: success}}\n"
                                   "  - call_tool: {as: alice, tool: t, label: a, expect: {outcome: success}}\n"),
              AllOf(HasSubstr(":10:"), HasSubstr("label 'a' is already taken")));
  // Audit marks and log marks are apart: a position in one means nothing in the other.
  EXPECT_THAT(error_of(signed_in + "  - mark_audit: {mark: m}\n  - assert_log: {after: m, count: 0}\n"),
              AllOf(HasSubstr(":10:"), HasSubstr("assert_log.after: no earlier step sets mark 'm' (marks come from mark_log)")));
  EXPECT_THAT(error_of(signed_in + "  - mark_log: {mark: m}\n  - assert_audit: {after: m, count: 0}\n"),
              HasSubstr("assert_audit.after: no earlier step sets mark 'm' (marks come from mark_audit or admin)"));
  EXPECT_THAT(error_of(signed_in + "  - assert_log: {unchanged_since: never}\n"), HasSubstr("assert_log.unchanged_since: no earlier step sets mark"));
  EXPECT_THAT(error_of(signed_in + "  - scan_storage: {target: disk, absent: [x]}\n"),
              HasSubstr("scan_storage.target: 'disk' is not one of: connector_log, backend_state"));
  EXPECT_THAT(error_of(signed_in + "  - scan_storage: {target: connector_log, absent: []}\n"), HasSubstr("scan_storage.absent: must list at least one"));
  EXPECT_THAT(error_of(signed_in + "  - scan_storage: {target: connector_log, absent: ['']}\n"), HasSubstr("absent[0]: an empty value"));
  EXPECT_THAT(error_of(signed_in + "  - authorize: {as: x, resource: decoy}\n"), HasSubstr("authorize.resource: must be an absolute URL"));
  EXPECT_THAT(error_of(signed_in + "  - restart_connector: {how: reboot}\n"), HasSubstr("'reboot' is not one of: crash, stop"));
  EXPECT_THAT(error_of(signed_in + "  - restart_connector: {}\n"), HasSubstr("restart_connector.how: required"));
}

TEST_F(LogAndStorageSteps, IdentityPlaceholdersNeedAnEarlierIdentity) {
  using testing::AllOf;
  using testing::HasSubstr;
  EXPECT_THAT(error_of(signed_in + "  - scan_storage: {target: connector_log, absent: ['${sub:bob}']}\n"),
              AllOf(HasSubstr(":9:"), HasSubstr("placeholder ${sub:bob}: no earlier authorize step names identity 'bob'")));
  EXPECT_THAT(error_of(signed_in + "  - scan_storage: {target: connector_log, absent: ['${password:alice}']}\n"),
              AllOf(HasSubstr("unknown placeholder ${password:alice}"), HasSubstr("sub:IDENTITY")));
  // An authorize step cannot use the identity it is only creating.
  EXPECT_THAT(error_of(header + "steps:\n  - authorize: {as: x, resource: 'https://h/${sub:x}'}\n"),
              HasSubstr("no earlier authorize step names identity 'x'"));
  EXPECT_THAT(error_of(signed_in + "  - raw_request: {url: '${decoy}', expect: {status: 200}}\n"), HasSubstr("unknown placeholder ${decoy}"));
}

} // namespace
} // namespace mcpcert::client
