#include "mcpcert/connector/log_maintenance.hpp"

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/operational_log.hpp"

namespace mcpcert::connector {

int run_log_maintenance(LogMaintenance task, const ConnectorConfig& config, std::ostream& out, std::ostream& err) {
  if (!config.log) {
    err << "mcpcert-connector: the configuration has no log section\n";
    return 2;
  }
  if (task == LogMaintenance::rotate_key) {
    if (config.log->key_file.empty()) {
      err << "mcpcert-connector: the log keys come from the environment (log.key_env); rotate them where they are kept\n";
      return 2;
    }
    const auto id = OperationalLogConfig::rotate_key_file(config.log->key_file);
    out << nlohmann::json{{"active", id},
                          {"key_file", config.log->key_file.string()},
                          {"next", "restart the connector, then run --reencrypt-log"}}
               .dump()
        << std::endl;
    return 0;
  }
  SystemClock clock;
  OperationalLog log(*config.log, clock);
  const auto report = log.reencrypt();
  nlohmann::json summary{{"active", config.log->active_key_id}, {"reencrypted", report.records}, {"keys_in_use", report.keys_in_use}};
  if (!report.failure.empty()) summary["failure"] = report.failure;
  out << summary.dump() << std::endl;
  return report.failure.empty() ? 0 : 1;
}

} // namespace mcpcert::connector
