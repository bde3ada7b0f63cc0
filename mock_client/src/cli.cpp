#include "mcpcert/mock_client/cli.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <optional>
#include <random>

#include "mcpcert/mock_client/certificate.hpp"
#include "mcpcert/mock_client/mutation.hpp"
#include "mcpcert/mock_client/profile.hpp"
#include "mcpcert/mock_client/target.hpp"
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
                       (with --profile: the profile's claims; with --target: an external connector)
  run PATH...          run the given scenario files or directories
  verify REPORT        check a JSON report's signature: exit 0 only when it is untouched
  up                   start one world (backend + connector), print how to reach it, wait for Ctrl-C
  mutants              certify the clean connector, then each test-only mutant of the connector and of the
                       mock authorization server; every mutant must make its own claim fail (prints
                       mutant, claim it breaks, claims that caught it)

options (certify, run):
  --profile FILE       certify one notice: its parameters and claims (scenarios/profiles/*.yaml)
  --target FILE        certify an external connector described by FILE (docs/certification.md)
  --json FILE          write the JSON report to FILE, signed (Ed25519)
  --signing-key FILE   the key that signs it (default $MCPCERT_SIGNING_KEY, else
                       ~/.config/mcpcert/signing-key.pem; made on first use)
  --junit FILE         write a JUnit XML report to FILE (one testcase per scenario)
  --html FILE          write a self-contained HTML report to FILE
  --trace DIR          write every scenario's full transcript (secrets masked) as DIR/<scenario>.json
  --claim ID           only scenarios that check claim ID (repeatable)
  --tag TAG            only scenarios tagged TAG (repeatable)
  --jobs N             run N scenarios at a time, each in its own world (default 1)
  --seed S             seed for randomised steps, recorded in the reports (default: random)
  --keep-worlds DIR    keep each world's configs and server logs under DIR
  --test-only-mutant NAME
                       start the connector, or the mock authorization server, with a deliberate defect
                       (proves a check bites; `mcpcert mutants` lists them)
  --no-colour          plain console output

options (mutants):
  --json FILE          write {"mutants":[{"name","claim","component","caught_by"}]} to FILE
  --jobs N             worlds at a time (default 1)
  --all-scenarios      run every scenario against every mutant, not only those checking its claim
  --no-colour          plain console output

options (verify):
  --expect-key FP      also require the report to be signed by the key with fingerprint FP (sha256:...)

options (up):
  --keep-dir DIR       keep the world's configs and server logs in DIR
  --test-only-mutant NAME
)";

struct Options {
  std::string command;
  std::vector<std::filesystem::path> paths;
  std::optional<std::filesystem::path> json_file;
  std::optional<std::filesystem::path> junit_file;
  std::optional<std::filesystem::path> html_file;
  std::optional<std::filesystem::path> trace_dir;
  std::vector<std::string> claims;
  std::vector<std::string> tags;
  std::vector<std::string> mutants;
  std::optional<std::filesystem::path> keep_worlds;
  std::optional<std::filesystem::path> keep_dir;
  std::optional<std::filesystem::path> profile_file;
  std::optional<std::filesystem::path> target_file;
  std::optional<std::filesystem::path> signing_key;
  std::size_t jobs = 1;
  std::optional<std::uint64_t> seed;
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

template <typename Number> std::optional<Number> parse_number(const std::string& text) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Parses the options after the command; returns an exit code when parsing ends the run.
std::optional<int> parse_options(const std::vector<std::string>& args, Options& options, std::ostream& err) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        err << "mcpcert: " << name << " needs a value\n";
        return std::nullopt;
      }
      return args[++i];
    };
    const bool runs = options.command != "up";
    if (arg == "--test-only-mutant") {
      auto v = value("--test-only-mutant");
      if (!v) return 2;
      options.mutants.push_back(*v);
    } else if (arg == "--no-colour" || arg == "--no-color") {
      options.colour = false;
    } else if (!runs && arg == "--keep-dir") {
      auto v = value("--keep-dir");
      if (!v) return 2;
      options.keep_dir = *v;
    } else if (runs && (arg == "--json" || arg == "--junit" || arg == "--html" || arg == "--trace" || arg == "--keep-worlds" ||
                        arg == "--profile" || arg == "--target" || arg == "--signing-key")) {
      auto v = value(arg.c_str());
      if (!v) return 2;
      auto& target = arg == "--json" ? options.json_file : arg == "--junit" ? options.junit_file : arg == "--html" ? options.html_file
                   : arg == "--trace" ? options.trace_dir : arg == "--profile" ? options.profile_file : arg == "--target" ? options.target_file
                   : arg == "--signing-key" ? options.signing_key : options.keep_worlds;
      target = *v;
    } else if (runs && arg == "--claim") {
      auto v = value("--claim");
      if (!v) return 2;
      if (find_claim(*v) == nullptr) {
        err << "mcpcert: unknown claim id '" << *v << "'\n";
        return 2;
      }
      options.claims.push_back(*v);
    } else if (runs && arg == "--tag") {
      auto v = value("--tag");
      if (!v) return 2;
      options.tags.push_back(*v);
    } else if (runs && arg == "--jobs") {
      auto v = value("--jobs");
      if (!v) return 2;
      auto jobs = parse_number<std::size_t>(*v);
      if (!jobs || *jobs == 0 || *jobs > 64) {
        err << "mcpcert: --jobs takes a number from 1 to 64, got '" << *v << "'\n";
        return 2;
      }
      options.jobs = *jobs;
    } else if (runs && arg == "--seed") {
      auto v = value("--seed");
      if (!v) return 2;
      options.seed = parse_number<std::uint64_t>(*v);
      if (!options.seed) {
        err << "mcpcert: --seed takes a non-negative integer, got '" << *v << "'\n";
        return 2;
      }
    } else if (!arg.empty() && arg[0] == '-') {
      err << "mcpcert: unknown option '" << arg << "' for " << options.command << "\n" << usage_text;
      return 2;
    } else if (options.command == "run") {
      options.paths.emplace_back(arg);
    } else {
      err << "mcpcert: " << options.command << " takes no paths" << (options.command == "certify" ? " (it runs every scenario); use 'mcpcert run PATH'" : "")
          << "\n";
      return 2;
    }
  }
  return std::nullopt;
}

bool wanted(const Scenario& scenario, const Options& options, const std::optional<Profile>& profile) {
  auto any_of = [](const std::vector<std::string>& have, const std::vector<std::string>& want) {
    return want.empty() || std::any_of(have.begin(), have.end(), [&](const std::string& item) {
             return std::find(want.begin(), want.end(), item) != want.end();
           });
  };
  const bool promised = !profile || std::any_of(scenario.claims.begin(), scenario.claims.end(),
                                                [&](const std::string& claim) { return profile->find(claim) != nullptr; });
  return promised && any_of(scenario.claims, options.claims) && any_of(scenario.tags, options.tags);
}

// What the report says was certified against what: file digests pin the
// exact profile and target, so a report can't be passed off for another.
nlohmann::json describe_profile(const std::optional<Profile>& profile, const ProfileParameters& parameters) {
  nlohmann::json values = {{"access_ttl", parameters.access_ttl},
                           {"refresh_ttl", parameters.refresh_ttl},
                           {"refresh_rotation", {{"policy", parameters.refresh_rotation}, {"reuse_grace", parameters.refresh_reuse_grace}}},
                           {"log_retention", parameters.log_retention},
                           {"regions", parameters.regions},
                           {"tool_set", parameters.tool_set},
                           {"tools", parameters.tools},
                           {"log_fields", parameters.log_fields},
                           {"pkce_methods", parameters.pkce_methods}};
  if (!profile) return {{"name", "built-in (every scenario, reference parameters)"}, {"file", nullptr}, {"sha256", nullptr}, {"parameters", values}};
  return {{"name", profile->name},
          {"file", profile->file.string()},
          {"sha256", profile->sha256},
          {"notice", {{"title", profile->notice_title}, {"date", profile->notice_date}}},
          {"parameters", values}};
}

nlohmann::json describe_target(const std::optional<Target>& target) {
  if (!target) {
    return {{"name", "reference connector (started by the harness in every world)"}, {"file", nullptr}, {"sha256", nullptr},
            {"authorization", authorization_name(Authorization::oauth)}};
  }
  nlohmann::json offered = nlohmann::json::array();
  nlohmann::json withheld = nlohmann::json::array();
  for (const auto& capability : capability_names()) (target->offers(capability) ? offered : withheld).push_back(capability);
  nlohmann::json tools = nlohmann::json::object();
  for (const auto& [tool, mapping] : target->tools) {
    tools[tool] = {{"name", mapping.name}};
    if (mapping.arguments) tools[tool]["arguments"] = *mapping.arguments;
  }
  nlohmann::json described = {{"name", target->name},       {"file", target->file.string()}, {"sha256", target->sha256},
                               {"mcp_url", target->mcp_url}, {"capabilities", offered},       {"withheld", withheld},
                               {"authorization", authorization_name(target->authorization)}};
  if (!tools.empty()) described["tools"] = tools;
  return described;
}

// Loads a profile or target file; on a problem prints it and returns nullopt.
template <typename Loaded, typename Loader>
std::optional<Loaded> load_or_explain(const std::optional<std::filesystem::path>& file, Loader load, std::ostream& err, bool& failed) {
  if (!file) return std::nullopt;
  try {
    return load(*file);
  } catch (const ScenarioError& e) {
    err << "mcpcert: " << e.what() << "\n";
    failed = true;
    return std::nullopt;
  }
}

// Signs the report when a key can be had; an unsigned report is still
// written (verify will refuse it), with the reason on stderr.
void sign_if_possible(nlohmann::json& report, const Options& options, std::ostream& out, std::ostream& err) {
  const auto key_file = options.signing_key ? *options.signing_key : default_signing_key_path();
  auto key = load_or_create_signing_key(key_file);
  if (!key.key) {
    err << "mcpcert: the report is written unsigned: " << key.problem << "\n";
    return;
  }
  if (key.created) out << "made a new signing key at " << key_file.string() << "\n";
  sign_report(report, *key.key);
  out << "report signed by " << report["signature"]["key_fingerprint"].get<std::string>() << " (" << key_file.string() << ")\n";
}

// Ctrl-C / SIGTERM for `up`: the handler only writes to a pipe the waiter polls.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  const char byte = 1;
  [[maybe_unused]] auto ignored = ::write(stop_pipe[1], &byte, 1);
}

// A name the backend lists is an authorization-server mutant; any other goes
// to the connector, which refuses names it doesn't know.
bool place_mutants(const std::vector<std::string>& names, bool external_connector, WorldOptions& options, std::ostream& err) {
  if (names.empty()) return true;
  const auto backend = list_backend_mutants(options.installation.backend_binary);
  if (!backend.problem.empty()) {
    err << "mcpcert: " << backend.problem << "\n";
    return false;
  }
  for (const auto& name : names) {
    const bool of_backend = std::any_of(backend.mutants.begin(), backend.mutants.end(), [&](const ConnectorMutant& m) { return m.name == name; });
    if (of_backend) {
      options.backend_mutants.push_back(name);
    } else if (external_connector) {
      err << "mcpcert: --test-only-mutant " << name << " is not an authorization-server mutant, and an external connector has none of ours\n";
      return false;
    } else {
      options.connector_mutants.push_back(name);
    }
  }
  return true;
}

int run_certify(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool bad_file = false;
  const auto profile = load_or_explain<Profile>(options.profile_file, load_profile, err, bad_file);
  const auto target = load_or_explain<Target>(options.target_file, load_target, err, bad_file);
  if (bad_file) return 2;
  WorldOptions world_options;
  if (target && !target->offers("oauth") && !options.mutants.empty()) {
    err << "mcpcert: --test-only-mutant: target " << target->name << " has no authorization (authorization: none), so no world runs a mock issuer to mutate\n";
    return 2;
  }
  if (!place_mutants(options.mutants, target.has_value(), world_options, err)) return 2;
  if (profile) world_options.parameters = profile->parameters;
  world_options.target = target;
  auto paths = options.paths;
  if (options.command == "certify") paths = {world_options.installation.scenarios_dir()};
  if (paths.empty()) {
    err << "mcpcert: run needs at least one scenario file or directory\n";
    return 2;
  }
  for (const auto& path : paths) {
    if (!std::filesystem::exists(path)) {
      err << "mcpcert: no such file or directory: " << path.string() << "\n";
      return 2;
    }
  }

  // Every file is validated before anything runs: a typo fails in a second, not after a world started.
  std::vector<Scenario> scenarios;
  for (const auto& file : find_scenario_files(paths)) {
    try {
      auto scenario = load_scenario(file, world_options.parameters.for_scenarios());
      if (wanted(scenario, options, profile)) scenarios.push_back(std::move(scenario));
    } catch (const ScenarioError& e) {
      err << "mcpcert: " << e.what() << "\n";
      return 2;
    }
  }
  // A profile whose claims no scenario checks still gets its report: every claim SKIPPED or REVIEW.
  if (scenarios.empty() && !profile) {
    err << "mcpcert: no scenario to run\n";
    return 2;
  }

  RunInfo run;
  run.command = "mcpcert";
  for (const auto& arg : args) run.command += " " + arg;
  if (options.seed) {
    run.seed = *options.seed;
  } else {
    std::random_device entropy;
    run.seed = (std::uint64_t{entropy()} << 32) | entropy();
  }
  run.started_at = utc_now_rfc3339();
  run.jobs = options.jobs;
  run.profile = describe_profile(profile, world_options.parameters);
  run.target = describe_target(target);

  RunSettings settings;
  settings.jobs = options.jobs;
  if (target && options.jobs > 1) {
    // Its backend ports are fixed in the connector's configuration: one world at a time.
    out << "an external target is certified one world at a time\n";
    settings.jobs = 1;
    run.jobs = 1;
  }
  if (profile) out << "profile " << profile->name << " (" << profile->claims.size() << " claims), sha256 " << profile->sha256 << "\n";
  if (target) {
    out << "target " << target->name << " at " << target->mcp_url << ", sha256 " << target->sha256
        << (target->offers("oauth") ? "" : ", no authorization") << "\n";
  }
  settings.keep_worlds = options.keep_worlds;
  const auto width = std::to_string(scenarios.size()).size();
  settings.on_done = [&](const ScenarioResult& result, std::size_t done, std::size_t total) {
    out << "[" << std::setw(static_cast<int>(width)) << done << "/" << total << "] " << result.name << " ... " << to_string(result.verdict)
        << " (" << result.duration.count() << " ms)\n"
        << std::flush;
  };
  if (settings.jobs > 1) out << "running " << scenarios.size() << " scenario(s), " << options.jobs << " at a time\n" << std::flush;
  const auto results = run_scenarios(scenarios, world_options, settings);
  out << "\n";

  const auto claims = profile ? verdicts_for_profile(results, *profile, options.claims) : verdicts_by_claim(results);
  print_console_report(out, claims, options.colour);
  std::string error;
  if (options.json_file) {
    auto report = json_report(claims, run);
    sign_if_possible(report, options, out, err);
    if (!write_atomically(*options.json_file, safe_dump(report, 2) + "\n", error)) {
      err << "mcpcert: " << error << "\n";
      return 2;
    }
  }
  if (options.junit_file && !write_atomically(*options.junit_file, junit_report(results, run), error)) {
    err << "mcpcert: " << error << "\n";
    return 2;
  }
  if (options.html_file && !write_atomically(*options.html_file, html_report(claims, run), error)) {
    err << "mcpcert: " << error << "\n";
    return 2;
  }
  if (options.trace_dir) {
    if (auto problem = write_traces(*options.trace_dir, results, run); !problem.empty()) {
      err << "mcpcert: " << problem << "\n";
      return 2;
    }
  }
  return summarize(claims).failed == 0 ? 0 : 1;
}

// `mcpcert mutants`: the proof that the suite bites. The clean connector
// must pass first, or a failure under a mutant would mean nothing.
int run_mutants_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::optional<std::filesystem::path> json_file;
  MutationSettings settings;
  bool colour = ::isatty(STDOUT_FILENO) != 0;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if ((arg == "--json" || arg == "--jobs") && i + 1 >= args.size()) {
      err << "mcpcert: " << arg << " needs a value\n";
      return 2;
    }
    if (arg == "--json") {
      json_file = args[++i];
    } else if (arg == "--jobs") {
      auto jobs = parse_number<std::size_t>(args[++i]);
      if (!jobs || *jobs == 0 || *jobs > 64) {
        err << "mcpcert: --jobs takes a number from 1 to 64, got '" << args[i] << "'\n";
        return 2;
      }
      settings.jobs = *jobs;
    } else if (arg == "--all-scenarios") {
      settings.every_scenario = true;
    } else if (arg == "--no-colour" || arg == "--no-color") {
      colour = false;
    } else {
      err << "mcpcert: unknown option '" << arg << "' for mutants\n" << usage_text;
      return 2;
    }
  }

  WorldOptions world_options;
  const auto catalogue = list_all_mutants(world_options.installation);
  if (!catalogue.problem.empty()) {
    err << "mcpcert: " << catalogue.problem << "\n";
    return 2;
  }
  if (catalogue.mutants.empty()) {
    err << "mcpcert: the connector and the backend list no test-only mutants, so there is nothing to show the suite catches\n";
    return 2;
  }
  std::vector<Scenario> scenarios;
  for (const auto& file : find_scenario_files({world_options.installation.scenarios_dir()})) {
    try {
      scenarios.push_back(load_scenario(file));
    } catch (const ScenarioError& e) {
      err << "mcpcert: " << e.what() << "\n";
      return 2;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  auto seconds_since_start = [&] {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count()) + " s";
  };

  out << "clean connector: " << scenarios.size() << " scenario(s), " << settings.jobs << " at a time\n" << std::flush;
  RunSettings clean_settings;
  clean_settings.jobs = settings.jobs;
  const auto clean = run_scenarios(scenarios, world_options, clean_settings);
  const auto clean_claims = verdicts_by_claim(clean);
  const auto clean_summary = summarize(clean_claims);
  if (clean_summary.failed != 0) {
    print_console_report(out, clean_claims, colour);
    err << "mcpcert: the clean connector fails " << clean_summary.failed
        << " claim(s); a mutant's failures mean nothing until it passes\n";
    return 1;
  }
  out << "clean connector: " << clean_summary.passed << " claim(s) passed, " << clean_summary.skipped << " skipped (" << seconds_since_start()
      << ")\n";

  std::size_t worlds = 0;
  for (const auto& mutant : catalogue.mutants) worlds += scenarios_against(mutant, scenarios, settings.every_scenario).size();
  out << catalogue.mutants.size() << " mutant(s), " << worlds << " world(s)"
      << (settings.every_scenario ? " (every scenario against every mutant)" : " (the scenarios checking each mutant's claim)") << "\n\n"
      << std::flush;
  const auto verdicts = run_mutants(catalogue.mutants, scenarios, world_options, settings);
  print_mutant_table(out, verdicts, colour);
  out << "(" << seconds_since_start() << ")\n";

  if (json_file) {
    std::string error;
    if (!write_atomically(*json_file, safe_dump(mutants_json(verdicts), 2) + "\n", error)) {
      err << "mcpcert: " << error << "\n";
      return 2;
    }
  }
  return std::all_of(verdicts.begin(), verdicts.end(), [](const MutantVerdict& verdict) { return verdict.caught(); }) ? 0 : 1;
}

// `mcpcert verify REPORT [--expect-key FP]`: 0 only for an untouched report.
int run_verify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::optional<std::filesystem::path> file;
  std::string expected_key;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--expect-key") {
      if (i + 1 >= args.size()) {
        err << "mcpcert: --expect-key needs a value\n";
        return 2;
      }
      expected_key = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && !file) {
      file = args[i];
    } else {
      err << "mcpcert: usage: mcpcert verify REPORT [--expect-key sha256:...]\n";
      return 2;
    }
  }
  if (!file) {
    err << "mcpcert: usage: mcpcert verify REPORT [--expect-key sha256:...]\n";
    return 2;
  }
  std::ifstream in(*file, std::ios::binary);
  if (!in) {
    err << "mcpcert: cannot read " << file->string() << "\n";
    return 2;
  }
  const auto report = nlohmann::json::parse(in, nullptr, false);
  if (report.is_discarded()) {
    err << "mcpcert: " << file->string() << ": NOT VERIFIED: not JSON (a report was edited by hand, or this is not one)\n";
    return 1;
  }
  const auto check = verify_report(report, expected_key);
  if (!check.intact) {
    err << "mcpcert: " << file->string() << ": NOT VERIFIED: " << check.problem << "\n";
    return 1;
  }
  const auto summary = report.value("summary", nlohmann::json::object());
  out << file->string() << ": VERIFIED, untouched since signed by " << check.key_fingerprint;
  if (summary.contains("result") && summary["result"].is_string()) out << "; result " << summary["result"].get<std::string>();
  if (report.contains("profile") && report["profile"].is_object() && report["profile"].contains("name")) {
    out << "; profile " << report["profile"]["name"].dump();
  }
  out << "\n";
  if (expected_key.empty()) out << "(the signature proves integrity; compare the key's fingerprint with the one you trust to know who signed)\n";
  return 0;
}

} // namespace

int run_up(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const std::function<void()>& wait_for_stop) {
  Options options;
  options.command = "up";
  if (auto code = parse_options(args, options, err)) return *code;
  WorldOptions world_options;
  if (!place_mutants(options.mutants, false, world_options, err)) return 2;
  world_options.keep_dir = options.keep_dir;
  std::string error;
  auto world = World::start(world_options, error);
  if (!world) {
    err << "mcpcert: the world could not start: " << error << "\n";
    return 1;
  }
  out << "mcpcert world is up; Ctrl-C (or SIGTERM) stops it.\n\n";
  auto row = [&](const std::string& label, const std::string& value) { out << "  " << std::left << std::setw(19) << label << value << "\n"; };
  row("MCP URL", world->mcp_url());
  if (!world->trusted_certificate_file().empty()) {
    row("TLS certificate", world->trusted_certificate_file() + "  (trust it: e.g. NODE_EXTRA_CA_CERTS=<file>)");
  }
  row("backend control", world->control_url());
  row("connector control", world->connector_control_url().empty() ? "(none)" : world->connector_control_url());
  row("control secret", world->control_secret() + "  (Authorization: Bearer <secret>)");
  row("world directory", world->directory().string() + (options.keep_dir ? "" : "  (removed on exit)"));
  for (const auto& [id, tenant] : world->tenants()) {
    out << "\ntenant " << id << " (region " << tenant.region << ")\n";
    if (auto own = world->tenant_mcp_url(id); !own.empty()) row("MCP URL", own + "  (lists this tenant's issuer alone)");
    row("issuer", tenant.issuer);
    row("API", tenant.api);
    out << "  users\n";
    for (const auto& user : world->users(id)) {
      std::string roles;
      for (const auto& role : user.roles) {
        roles += (roles.empty() ? "" : ", ") + role.value("entity", std::string("?")) + " " + role.value("role", std::string("?")) +
                 (role.value("mcp_access", false) ? " (MCP Access)" : " (no MCP Access)");
      }
      out << "    " << std::left << std::setw(10) << user.username << " password " << std::setw(22) << user.password << " " << roles << "\n";
      // What a person at a browser needs beyond the password.
      if (!user.totp_secret.empty()) out << "               TOTP secret (base32) " << user.totp_secret << "\n";
      if (!user.sso_subject.empty())
        out << "               single sign-on as " << user.sso_subject << " password " << user.sso_password << "\n";
    }
  }
  out << std::flush;
  wait_for_stop();
  out << "stopping the world\n" << std::flush;
  world.reset();
  return 0;
}

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
  if (options.command == "up") {
    if (::pipe2(stop_pipe, O_CLOEXEC) != 0) {
      err << "mcpcert: cannot create a pipe for signals\n";
      return 1;
    }
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    struct sigaction old_int {}, old_term {};
    ::sigaction(SIGINT, &action, &old_int);
    ::sigaction(SIGTERM, &action, &old_term);
    const int code = run_up(args, out, err, [] {
      pollfd fd{stop_pipe[0], POLLIN, 0};
      while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
      }
    });
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    ::close(stop_pipe[0]);
    ::close(stop_pipe[1]);
    return code;
  }
  if (options.command == "mutants") return run_mutants_command(args, out, err);
  if (options.command == "verify") return run_verify(args, out, err);
  if (options.command != "certify" && options.command != "run") {
    err << "mcpcert: unknown command '" << options.command << "'\n" << usage_text;
    return 2;
  }
  if (auto code = parse_options(args, options, err)) return *code;
  return run_certify(options, args, out, err);
}

} // namespace mcpcert::client
