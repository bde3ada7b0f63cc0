#pragma once
/// `mcpcert bench --soak`: a bounded soak of the whole world. Every test user
/// of every hosted tenant (three regions) signs in through the real OAuth
/// forms, then worker threads mix tool calls, refreshes and revocations (with
/// a fresh sign-in after each) until a call count or a duration is reached.
/// At the end it accounts for every call: the connector's log must hold one
/// record per call made, each tenant's API must have seen only its own users'
/// calls, and the connector's and backend's resident memory is reported at the
/// start and the end. Figures, not timings: nothing here is asserted on time.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mcpcert::bench {

struct SoakOptions {
  std::chrono::seconds duration{300};
  std::uint64_t max_calls = 100'000; ///< tool calls; the soak stops at whichever bound comes first
  int workers = 4;
  std::optional<std::filesystem::path> json_file;
  std::string command_line;
};

/// Parses the arguments after `bench --soak`; nullopt and `error` set on a bad one.
std::optional<SoakOptions> parse_soak_options(const std::vector<std::string>& args, std::string& error);
const char* soak_usage();

/// Runs the soak; exit code 0 when no call was lost, none crossed a region and
/// no error beyond those the mix expects happened, else 1 (2: the world failed).
int run_soak(const SoakOptions& options);

} // namespace mcpcert::bench
