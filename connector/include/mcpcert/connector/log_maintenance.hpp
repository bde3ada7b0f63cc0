#pragma once
/// An operator's log-key rotation, as the connector binary runs it: first
/// `--rotate-log-key` (a new active key in the key file; restart so new
/// records use it), then `--reencrypt-log` (old records moved to it), after
/// which the old key may be deleted from the file.

#include <ostream>

#include "mcpcert/connector/connector_config.hpp"

namespace mcpcert::connector {

enum class LogMaintenance { rotate_key, reencrypt };

/// Runs one task on the configured log; writes a JSON summary to `out` and
/// problems to `err`. Returns the process exit status (0 done, 1 failed, 2 unusable configuration).
int run_log_maintenance(LogMaintenance task, const ConnectorConfig& config, std::ostream& out, std::ostream& err);

} // namespace mcpcert::connector
