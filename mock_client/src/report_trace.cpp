#include <fstream>
#include <set>

#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/report.hpp"

namespace mcpcert::client {

namespace {

// A file name from a scenario name: safe characters only, never a path.
std::string file_stem(const std::string& name) {
  std::string out;
  for (const unsigned char c : name) out += std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  return out;
}

// Literal tokens in a step are credentials someone may have pasted from a real incident.
nlohmann::json masked_args(const nlohmann::json& args) {
  auto out = args;
  if (out.is_object() && out.contains("token") && out["token"].is_object() && out["token"].contains("value")) {
    out["token"]["value"] = mask_secret(out["token"]["value"].get<std::string>());
  }
  return out;
}

} // namespace

nlohmann::json scenario_trace(const ScenarioResult& result, const RunInfo& run) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : result.steps) {
    steps.push_back({{"step", step.index},
                     {"kind", step.kind},
                     {"line", step.line},
                     {"args", masked_args(step.args)},
                     {"verdict", step.passed ? "passed" : step.skipped ? "skipped" : "failed"},
                     {"summary", step.summary},
                     {"observed", step.observed.is_null() ? nlohmann::json::object() : step.observed},
                     {"exchanges", step.exchanges}});
  }
  return {{"trace_version", 1},
          {"run", {{"command", run.command}, {"seed", run.seed}, {"started_at", run.started_at}}},
          {"scenario",
           {{"name", result.name},
            {"title", result.title},
            {"file", result.file},
            {"family", result.family},
            {"claims", result.claims},
            {"tags", result.tags},
            {"notice", {{"source", result.notice.source}, {"sentence", result.notice.sentence}}}}},
          {"verdict", to_string(result.verdict)},
          {"reason", result.reason},
          {"started_at", result.started_at},
          {"duration_ms", result.duration.count()},
          {"world", result.world},
          {"steps", steps}};
}

std::string write_traces(const std::filesystem::path& directory, const std::vector<ScenarioResult>& results, const RunInfo& run) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return "cannot create the trace directory " + directory.string() + ": " + ec.message();
  std::set<std::string> used;
  for (const auto& result : results) {
    auto stem = file_stem(result.name);
    // Two files may declare one name; neither trace may overwrite the other.
    for (int n = 2; used.contains(stem); ++n) stem = file_stem(result.name) + "-" + std::to_string(n);
    used.insert(stem);
    const auto file = directory / (stem + ".json");
    std::ofstream out(file, std::ios::trunc);
    out << safe_dump(scenario_trace(result, run), 2) << "\n";
    if (!out.flush()) return "cannot write " + file.string();
  }
  return {};
}

} // namespace mcpcert::client
