#pragma once
/// Reports of a run: the console summary, the JSON document CI pipelines and
/// vendors script against (its field names are stable), JUnit XML for CI test
/// views, one self-contained HTML page for people, and per-scenario traces.

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/runner.hpp"

namespace mcpcert::client {

struct RunSummary {
  std::size_t passed = 0, failed = 0, warning = 0, skipped = 0, review = 0;
  std::size_t total() const { return passed + failed + warning + skipped + review; }
  /// "CERTIFIED" only when nothing failed.
  std::string result() const { return failed == 0 && total() > 0 ? "CERTIFIED" : "NOT CERTIFIED"; }
};

/// What every report records about the run itself.
struct RunInfo {
  std::string command;    ///< the command line, for replaying the run
  std::uint64_t seed = 0; ///< reserved for randomised steps; replaying needs the same seed
  std::string started_at; ///< RFC 3339, UTC
  std::size_t jobs = 1;
  nlohmann::json profile = nullptr; ///< {name, file, sha256, notice, parameters}
  nlohmann::json target = nullptr;  ///< {name, file, sha256, capabilities} of a target file, or the reference connector
};

RunSummary summarize(const std::vector<ClaimResult>& claims);

/// One line per claim, the failing (or skipped) step of each such scenario, the
/// SKIPPED and REVIEW items listed with their reasons, and a summary line.
void print_console_report(std::ostream& out, const std::vector<ClaimResult>& claims, bool colour);

/// {"harness":{...},"profile":{...},"target":{...},"claims":[{"id","verdict","reason","notice","scenarios","evidence":[...]}],
///  "summary":{...,"skipped_items":[...],"review_items":[...]}}
nlohmann::json json_report(const std::vector<ClaimResult>& claims, const RunInfo& run);
nlohmann::json json_report(const std::vector<ClaimResult>& claims, const std::string& command);

/// JUnit XML (the common schema Jenkins, GitLab and GitHub read): a testsuite
/// per scenario family, a testcase per scenario whose classname is its first claim.
std::string junit_report(const std::vector<ScenarioResult>& results, const RunInfo& run);

/// One self-contained HTML page: per-claim verdicts, the notice sentences,
/// per-step evidence with the HTTP exchanges, filters by verdict and text.
std::string html_report(const std::vector<ClaimResult>& claims, const RunInfo& run);

/// A scenario's whole transcript (steps, arguments, exchanges with secrets
/// masked, observations, the world's URLs), for replaying an incident.
nlohmann::json scenario_trace(const ScenarioResult& result, const RunInfo& run);
/// Writes one <name>.json per scenario into `directory`; returns why not, or empty.
std::string write_traces(const std::filesystem::path& directory, const std::vector<ScenarioResult>& results, const RunInfo& run);

/// Markup escaping shared by the XML and HTML writers: &, <, >, " and ' as
/// entities, invalid UTF-8 as U+FFFD, and control characters XML 1.0 cannot
/// carry as U+FFFD too. `keep_newlines` = false also escapes tab, CR and LF
/// (attribute values).
std::string escape_markup(std::string_view text, bool keep_newlines = true);

/// JSON text that is always valid UTF-8 (invalid bytes replaced), as reports need.
std::string safe_dump(const nlohmann::json& value, int indent = -1);

} // namespace mcpcert::client
