// The `--junit` file of a real run (one scenario failing under a connector
// mutant, so failure elements are written too) validates against the JUnit
// schema Jenkins reads (tests/junit.xsd), and its counts add up. xmllint
// (Debian libxml2-utils) is installed by tests/run; without it the test skips.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/child_process.hpp"
#include "mcpcert/mock_client/cli.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;

struct Xmllint {
  int code = -1;
  std::string out;
  std::string err;
};

Xmllint xmllint(const std::filesystem::path& program, const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const auto log = dir / "xmllint.err";
  auto child = ChildProcess::spawn(program, args, log);
  if (!child) return {-1, {}, "xmllint could not be started"};
  Xmllint out;
  out.out = child->read_all(std::chrono::seconds(30)).value_or("");
  out.code = child->wait_exit(std::chrono::seconds(30)).value_or(-1);
  std::ifstream in(log);
  out.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return out;
}

class JunitReport : public testing::Test {
protected:
  void SetUp() override {
    program_ = find_on_path({"xmllint"});
    if (program_.empty()) GTEST_SKIP() << "xmllint is not installed (Debian package libxml2-utils; tests/run installs it)";
    dir_ = std::filesystem::temp_directory_path() / ("mcpcert-junit-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  Xmllint lint(std::vector<std::string> args) { return xmllint(program_, args, dir_); }
  double number(const std::filesystem::path& file, const std::string& xpath) {
    auto result = lint({"--xpath", xpath, file.string()});
    EXPECT_EQ(result.code, 0) << xpath << ": " << result.err;
    return std::strtod(result.out.c_str(), nullptr);
  }

  std::filesystem::path program_;
  std::filesystem::path dir_;
};

TEST_F(JunitReport, ARealRunValidatesAgainstTheJenkinsJunitSchema) {
  const auto schema = (source_dir / "tests" / "junit.xsd").string();
  const auto report = dir_ / "junit.xml";
  std::ostringstream out, err;
  // batch-accepted makes malformed_jsonrpc FAIL; the others pass: both kinds of test case are written.
  const int code = run_cli({"run", (source_dir / "scenarios/transport/malformed_jsonrpc.yaml").string(),
                            (source_dir / "scenarios/transport/origin.yaml").string(),
                            (source_dir / "scenarios/tokens/session_bind.yaml").string(), "--test-only-mutant", "batch-accepted",
                            "--jobs", "2", "--no-colour", "--junit", report.string()},
                           out, err);
  ASSERT_EQ(code, 1) << "the mutant should make one claim FAIL\n" << out.str() << err.str();
  ASSERT_TRUE(std::filesystem::exists(report));

  const auto validated = lint({"--noout", "--schema", schema, report.string()});
  EXPECT_EQ(validated.code, 0) << validated.err;
  EXPECT_THAT(validated.err, HasSubstr("validates"));

  // What the schema can't say: the root, and counts that match the elements.
  EXPECT_EQ(number(report, "count(/testsuites)"), 1);
  EXPECT_EQ(number(report, "count(//testcase)"), 3);
  EXPECT_EQ(number(report, "sum(/testsuites/testsuite/@tests)"), 3);
  EXPECT_EQ(number(report, "number(/testsuites/@tests)"), 3);
  EXPECT_EQ(number(report, "count(//testcase/failure)"), number(report, "sum(/testsuites/testsuite/@failures)"));
  EXPECT_EQ(number(report, "count(//testcase/failure)"), number(report, "number(/testsuites/@failures)"));
  EXPECT_GE(number(report, "count(//testcase/failure)"), 1);
  EXPECT_EQ(number(report, "count(//testcase/error)"), number(report, "sum(/testsuites/testsuite/@errors)"));
  EXPECT_EQ(number(report, "count(//testcase/skipped)"), number(report, "sum(/testsuites/testsuite/@skipped)"));
}

TEST_F(JunitReport, TheSchemaRefusesWhatJenkinsWouldNotRead) {
  // The schema must bite, or a passing validation proves nothing.
  const auto schema = (source_dir / "tests" / "junit.xsd").string();
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"no tests count", R"(<testsuites><testsuite name="s" failures="0" errors="0"/></testsuites>)"},
      {"a time with an exponent", R"(<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" time="1e-3"/></testsuite></testsuites>)"},
      {"a test case without a name", R"(<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>)"},
      {"an unknown element", R"(<testsuites><testsuite name="s" tests="0" failures="0" errors="0"><verdict/></testsuite></testsuites>)"},
  };
  for (const auto& [what, xml] : broken) {
    const auto file = dir_ / "broken.xml";
    std::ofstream(file) << xml;
    EXPECT_NE(lint({"--noout", "--schema", schema, file.string()}).code, 0) << what;
  }
}

} // namespace
} // namespace mcpcert::client
