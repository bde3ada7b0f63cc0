#pragma once
/// Reports of a run: the console summary and the JSON document CI pipelines
/// and vendors script against (its field names are stable).

#include <ostream>
#include <string>
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

RunSummary summarize(const std::vector<ClaimResult>& claims);

/// One line per claim, the failing step of each failed scenario, and a summary line.
void print_console_report(std::ostream& out, const std::vector<ClaimResult>& claims, bool colour);

/// {"harness":{...},"claims":[{"id","verdict","scenarios","evidence":[...]}],"summary":{...}}
nlohmann::json json_report(const std::vector<ClaimResult>& claims, const std::string& command);

} // namespace mcpcert::client
