#pragma once
/// The `mcpcert` command line: certify, run, up (and, as they arrive,
/// mutants, verify, bench). Kept in the library so tests drive it directly.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace mcpcert::client {

/// Returns the process exit code: 0 when no claim failed, 1 when one did, 2 for usage or input errors.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `mcpcert up [--keep-dir DIR]` (args[0] is "up"): starts one world, prints its
/// URLs, control secret and test users, calls `wait_for_stop` (run_cli waits
/// for SIGINT/SIGTERM), then tears the world down. Returns the exit code.
int run_up(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const std::function<void()>& wait_for_stop);

} // namespace mcpcert::client
