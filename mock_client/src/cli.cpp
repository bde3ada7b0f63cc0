#include "mcpcert/mock_client/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "mcpcert/mock_client/report.hpp"
#include "mcpcert/mock_client/runner.hpp"

#ifndef MCPCERT_VERSION
#define MCPCERT_VERSION "0.0.0"
#endif

namespace mcpcert::client {

namespace {

constexpr const char* usage_text = R"(usage: mcpcert <command> [options]

commands:
  certify              run every scenario against the reference connector and print per-claim verdicts
  run PATH...          run the given scenario files or directories

options (certify, run):
  --json FILE          write the JSON report to FILE
  --claim ID           only scenarios that check claim ID (repeatable)
  --keep-worlds DIR    keep each world's configs and server logs under DIR
  --test-only-mutant NAME
                       start the connector with a deliberate defect (proves a check bites)
  --no-colour          plain console output
)";

struct Options {
  std::string command;
  std::vector<std::filesystem::path> paths;
  std::optional<std::filesystem::path> json_file;
  std::vector<std::string> claims;
  std::vector<std::string> mutants;
  std::optional<std::filesystem::path> keep_worlds;
  bool colour = ::isatty(STDOUT_FILENO) != 0;
};

bool write_atomically(const std::filesystem::path& file, const std::string& content, std::string& error) {
  // Write beside the target and rename, so a reader never sees half a report.
  const auto temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content;
    if (!out.flush()) {
      error = "cannot write " + temporary;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    error = "cannot move the report into place at " + file.string() + ": " + ec.message();
    return false;
  }
  return true;
}

} // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << usage_text;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    out << "mcpcert " << MCPCERT_VERSION << "\n";
    return 0;
  }
  Options options;
  options.command = args[0];
  if (options.command != "certify" && options.command != "run") {
    err << "mcpcert: unknown command '" << options.command << "'\n" << usage_text;
    return 2;
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        err << "mcpcert: " << name << " needs a value\n";
        return std::nullopt;
      }
      return args[++i];
    };
    if (arg == "--json") {
      auto v = value("--json");
      if (!v) return 2;
      options.json_file = *v;
    } else if (arg == "--claim") {
      auto v = value("--claim");
      if (!v) return 2;
      if (find_claim(*v) == nullptr) {
        err << "mcpcert: unknown claim id '" << *v << "'\n";
        return 2;
      }
      options.claims.push_back(*v);
    } else if (arg == "--keep-worlds") {
      auto v = value("--keep-worlds");
      if (!v) return 2;
      options.keep_worlds = *v;
    } else if (arg == "--test-only-mutant") {
      auto v = value("--test-only-mutant");
      if (!v) return 2;
      options.mutants.push_back(*v);
    } else if (arg == "--no-colour" || arg == "--no-color") {
      options.colour = false;
    } else if (!arg.empty() && arg[0] == '-') {
      err << "mcpcert: unknown option '" << arg << "'\n" << usage_text;
      return 2;
    } else if (options.command == "run") {
      options.paths.emplace_back(arg);
    } else {
      err << "mcpcert: certify takes no paths (it runs every scenario); use 'mcpcert run PATH'\n";
      return 2;
    }
  }

  WorldOptions world_options;
  world_options.connector_mutants = options.mutants;
  if (options.command == "certify") options.paths = {world_options.installation.scenarios_dir()};
  if (options.paths.empty()) {
    err << "mcpcert: run needs at least one scenario file or directory\n";
    return 2;
  }
  for (const auto& path : options.paths) {
    if (!std::filesystem::exists(path)) {
      err << "mcpcert: no such file or directory: " << path.string() << "\n";
      return 2;
    }
  }

  // Every file is validated before anything runs: a typo fails in a second, not after a world started.
  std::vector<Scenario> scenarios;
  for (const auto& file : find_scenario_files(options.paths)) {
    try {
      auto scenario = load_scenario(file);
      if (!options.claims.empty() &&
          std::none_of(scenario.claims.begin(), scenario.claims.end(), [&](const std::string& id) {
            return std::find(options.claims.begin(), options.claims.end(), id) != options.claims.end();
          })) {
        continue;
      }
      scenarios.push_back(std::move(scenario));
    } catch (const ScenarioError& e) {
      err << "mcpcert: " << e.what() << "\n";
      return 2;
    }
  }
  if (scenarios.empty()) {
    err << "mcpcert: no scenario to run\n";
    return 2;
  }

  std::vector<ScenarioResult> results;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto& scenario = scenarios[i];
    out << "[" << (i + 1) << "/" << scenarios.size() << "] " << scenario.name << " ... " << std::flush;
    auto scenario_options = world_options;
    if (options.keep_worlds) scenario_options.keep_dir = *options.keep_worlds / scenario.name;
    results.push_back(run_scenario(scenario, scenario_options));
    out << to_string(results.back().verdict) << " (" << results.back().duration.count() << " ms)\n";
  }
  out << "\n";

  const auto claims = verdicts_by_claim(results);
  print_console_report(out, claims, options.colour);
  if (options.json_file) {
    std::string command = "mcpcert";
    for (const auto& arg : args) command += " " + arg;
    std::string error;
    if (!write_atomically(*options.json_file, json_report(claims, command).dump(2) + "\n", error)) {
      err << "mcpcert: " << error << "\n";
      return 2;
    }
  }
  return summarize(claims).failed == 0 ? 0 : 1;
}

} // namespace mcpcert::client
