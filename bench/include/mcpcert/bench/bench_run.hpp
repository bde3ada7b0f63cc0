#pragma once
/// `mcpcert bench`: one run that starts everything, measures the connector,
/// the floor and the official SDK server with the same generator, prices each
/// privacy guarantee, and writes the figures (JSON) and the chart (SVG).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mcpcert::bench {

struct BenchOptions {
  std::optional<std::filesystem::path> json_file;
  std::optional<std::filesystem::path> plot_file;
  std::chrono::milliseconds saturation_phase{3000}; ///< closed loop, per target and concurrency
  std::chrono::milliseconds latency_phase{8000};    ///< open loop, per target and concurrency
  /// The latency phase runs as this many rounds, each giving every target at
  /// the level its share in turn, so a drift of the machine over the phase
  /// weighs on every target alike rather than on whichever ran then.
  int latency_rounds = 4;
  /// The open-loop rate of every target at a level, as a fraction of the slowest target's saturation throughput there.
  double load_fraction = 0.5;
  int generator_threads = 2;
  std::uint64_t max_requests = 300'000;             ///< per phase
  std::vector<int> concurrency{1, 32, 256};
  int memory_repetitions = 5;
  bool micro = true;
  bool sdk = true;
  bool wrk = true;
  /// Measure only these targets (all when empty); for profiling one of them. Ratios naming a skipped one are null.
  std::vector<std::string> only_targets;
  std::string command_line; ///< as typed, for the report
};

/// Parses the arguments after `bench`; nullopt and `error` set on a bad one.
std::optional<BenchOptions> parse_bench_options(const std::vector<std::string>& args, std::string& error);
const char* bench_usage();

/// Runs everything; the process exit code (0 also when goals are missed: figures are not assertions).
int run_bench(const BenchOptions& options);

} // namespace mcpcert::bench
