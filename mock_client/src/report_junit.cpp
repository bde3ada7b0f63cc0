// JUnit XML as the Jenkins xUnit schema (junit-10.xsd) allows it: testsuites
// carries name/tests/failures/errors/time, testsuite adds skipped and
// timestamp, testcase has name/classname/time only, and time is a plain
// decimal (the schema's pattern refuses exponents).
#include <cstdio>
#include <map>
#include <sstream>

#include "mcpcert/mock_client/report.hpp"

namespace mcpcert::client {

namespace {

std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

std::string attribute(std::string_view name, std::string_view value) {
  std::string out(" ");
  out.append(name).append("=\"").append(escape_markup(value, false)).append("\"");
  return out;
}

// A world that never started is the harness's trouble, not the connector's:
// an error rather than a failure.
bool is_error(const ScenarioResult& result) { return result.verdict == Verdict::failed && result.steps.empty(); }

std::string step_lines(const ScenarioResult& result) {
  std::string text;
  for (const auto& step : result.steps) {
    const char* mark = step.passed ? "ok  " : step.skipped ? "skip" : "FAIL";
    text += std::string(mark) + " " + std::to_string(step.index) + ". " + step.kind + " (line " + std::to_string(step.line) + "): " +
            step.summary + "\n";
  }
  text += "notice: " + result.notice.source + ": " + result.notice.sentence + "\n";
  text += "file: " + result.file + "\n";
  return text;
}

struct SuiteCounts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  std::chrono::milliseconds time{0};
  std::string timestamp;
};

} // namespace

std::string junit_report(const std::vector<ScenarioResult>& results, const RunInfo& run) {
  // Families in the order they first appear, which is the order scenarios ran in.
  std::vector<std::string> families;
  std::map<std::string, std::vector<const ScenarioResult*>> by_family;
  for (const auto& result : results) {
    const auto family = result.family.empty() ? std::string("scenarios") : result.family;
    if (!by_family.contains(family)) families.push_back(family);
    by_family[family].push_back(&result);
  }
  SuiteCounts all;
  std::ostringstream suites;
  for (const auto& family : families) {
    SuiteCounts counts;
    std::ostringstream cases;
    for (const auto* result : by_family[family]) {
      ++counts.tests;
      counts.time += result->duration;
      if (counts.timestamp.empty()) counts.timestamp = result->started_at;
      const auto classname = result->claims.empty() ? family : result->claims.front();
      cases << "    <testcase" << attribute("name", result->name) << attribute("classname", classname)
            << attribute("time", seconds_text(result->duration)) << ">\n";
      switch (result->verdict) {
      case Verdict::failed:
        if (is_error(*result)) {
          ++counts.errors;
          cases << "      <error" << attribute("message", result->reason) << attribute("type", "WORLD") << ">"
                << escape_markup(result->reason) << "</error>\n";
        } else {
          ++counts.failures;
          cases << "      <failure" << attribute("message", result->reason) << attribute("type", "FAILED") << ">"
                << escape_markup(result->reason) << "</failure>\n";
        }
        break;
      case Verdict::skipped:
      case Verdict::review:
        ++counts.skipped;
        cases << "      <skipped" << attribute("message", result->reason.empty() ? std::string(to_string(result->verdict)) : result->reason)
              << attribute("type", to_string(result->verdict)) << "/>\n";
        break;
      case Verdict::passed:
      case Verdict::warning: break;
      }
      cases << "      <system-out>" << escape_markup(step_lines(*result)) << "</system-out>\n";
      cases << "    </testcase>\n";
    }
    suites << "  <testsuite" << attribute("name", family) << attribute("tests", std::to_string(counts.tests))
           << attribute("failures", std::to_string(counts.failures)) << attribute("errors", std::to_string(counts.errors))
           << attribute("skipped", std::to_string(counts.skipped)) << attribute("time", seconds_text(counts.time));
    if (!counts.timestamp.empty()) suites << attribute("timestamp", counts.timestamp);
    suites << ">\n";
    suites << "    <properties>\n"
           << "      <property" << attribute("name", "seed") << attribute("value", std::to_string(run.seed)) << "/>\n"
           << "      <property" << attribute("name", "command") << attribute("value", run.command) << "/>\n"
           << "    </properties>\n";
    suites << cases.str() << "  </testsuite>\n";
    all.tests += counts.tests;
    all.failures += counts.failures;
    all.errors += counts.errors;
    all.time += counts.time;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites" << attribute("name", "mcpcert") << attribute("tests", std::to_string(all.tests))
      << attribute("failures", std::to_string(all.failures)) << attribute("errors", std::to_string(all.errors))
      << attribute("time", seconds_text(all.time)) << ">\n";
  out << suites.str() << "</testsuites>\n";
  return out.str();
}

} // namespace mcpcert::client
