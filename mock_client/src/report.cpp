#include "mcpcert/mock_client/report.hpp"

#include <iomanip>

#ifndef MCPCERT_VERSION
#define MCPCERT_VERSION "0.0.0"
#endif

namespace mcpcert::client {

namespace {

const char* colour_of(Verdict verdict) {
  switch (verdict) {
  case Verdict::passed: return "\033[32m";
  case Verdict::failed: return "\033[31m";
  case Verdict::warning: return "\033[33m";
  case Verdict::skipped:
  case Verdict::review: return "\033[36m";
  }
  return "";
}

nlohmann::json step_evidence(const StepRecord& step) {
  return {{"step", step.index},   {"kind", step.kind},         {"line", step.line},
          {"passed", step.passed}, {"summary", step.summary}, {"observed", step.observed.is_null() ? nlohmann::json::object() : step.observed},
          {"exchanges", step.exchanges}};
}

} // namespace

RunSummary summarize(const std::vector<ClaimResult>& claims) {
  RunSummary summary;
  for (const auto& claim : claims) {
    switch (claim.verdict) {
    case Verdict::passed: ++summary.passed; break;
    case Verdict::failed: ++summary.failed; break;
    case Verdict::warning: ++summary.warning; break;
    case Verdict::skipped: ++summary.skipped; break;
    case Verdict::review: ++summary.review; break;
    }
  }
  return summary;
}

void print_console_report(std::ostream& out, const std::vector<ClaimResult>& claims, bool colour) {
  const char* reset = colour ? "\033[0m" : "";
  for (const auto& claim : claims) {
    out << std::left << std::setw(22) << claim.id << (colour ? colour_of(claim.verdict) : "") << std::setw(8)
        << to_string(claim.verdict) << reset;
    std::size_t steps = 0;
    for (const auto* scenario : claim.scenarios) steps += scenario->steps.size();
    out << " " << claim.scenarios.size() << " scenario(s), " << steps << " step(s)\n";
    for (const auto* scenario : claim.scenarios) {
      if (scenario->verdict == Verdict::failed) out << "    " << scenario->name << ": " << scenario->reason << "\n";
    }
  }
  const auto summary = summarize(claims);
  out << "\n" << summary.total() << " claim(s): " << summary.passed << " passed, " << summary.failed << " failed, "
      << summary.warning << " warning, " << summary.skipped << " skipped, " << summary.review << " review -> "
      << (colour ? (summary.failed == 0 ? "\033[32m" : "\033[31m") : "") << summary.result() << reset << "\n";
}

nlohmann::json json_report(const std::vector<ClaimResult>& claims, const std::string& command) {
  nlohmann::json out = {{"harness", {{"name", "mcpcert"}, {"version", MCPCERT_VERSION}, {"command", command}}},
                        {"claims", nlohmann::json::array()}};
  for (const auto& claim : claims) {
    nlohmann::json scenarios = nlohmann::json::array();
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto* scenario : claim.scenarios) {
      scenarios.push_back({{"name", scenario->name},
                           {"title", scenario->title},
                           {"file", scenario->file},
                           {"verdict", to_string(scenario->verdict)},
                           {"reason", scenario->reason},
                           {"notice", {{"source", scenario->notice.source}, {"sentence", scenario->notice.sentence}}},
                           {"duration_ms", scenario->duration.count()}});
      for (const auto& step : scenario->steps) {
        auto entry = step_evidence(step);
        entry["scenario"] = scenario->name;
        evidence.push_back(std::move(entry));
      }
      if (scenario->steps.empty() && !scenario->reason.empty()) {
        evidence.push_back({{"scenario", scenario->name}, {"summary", scenario->reason}, {"passed", false}});
      }
    }
    out["claims"].push_back({{"id", claim.id}, {"verdict", to_string(claim.verdict)}, {"scenarios", scenarios}, {"evidence", evidence}});
  }
  const auto summary = summarize(claims);
  out["summary"] = {{"total", summary.total()}, {"passed", summary.passed}, {"failed", summary.failed},
                    {"warning", summary.warning}, {"skipped", summary.skipped}, {"review", summary.review},
                    {"result", summary.result()}};
  return out;
}

} // namespace mcpcert::client
