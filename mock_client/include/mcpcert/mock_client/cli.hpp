#pragma once
/// The `mcpcert` command line: certify, run (and, as they arrive, up,
/// mutants, verify, bench). Kept in the library so tests drive it directly.

#include <ostream>
#include <string>
#include <vector>

namespace mcpcert::client {

/// Returns the process exit code: 0 when no claim failed, 1 when one did, 2 for usage or input errors.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace mcpcert::client
