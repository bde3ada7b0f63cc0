#pragma once
/// The reference connector as one object: its listener and MCP endpoint,
/// bound at construction, so main() and in-process tests start it alike.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/connector_config.hpp"

namespace mcpcert::http {
class Server;
}

namespace mcpcert::connector {

class McpEndpoint;
class OperationalLog;

class ConnectorService {
public:
  /// Binds the listener; throws on failure (start-up only).
  ConnectorService(boost::asio::any_io_executor executor, ConnectorConfig config, const Clock& clock);
  ~ConnectorService();

  void start();
  void stop();
  /// True once stopped and every connection has finished.
  bool drained() const;
  /// The operational log, or null when none is configured.
  OperationalLog* operational_log() const { return log_.get(); }
  /// The HTTPS certificate (PEM), when serving HTTPS.
  std::optional<std::string> certificate_pem() const {
    return config_.tls ? std::optional<std::string>(config_.tls->certificate_pem) : std::nullopt;
  }
  /// The shared MCP URL, which is also its OAuth resource identifier.
  std::string mcp_url() const;
  /// Each tenant's own MCP URL (and resource identifier), by tenant id.
  std::map<std::string, std::string> tenant_mcp_urls() const;

private:
  ConnectorConfig config_;
  boost::asio::any_io_executor executor_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  std::unique_ptr<OperationalLog> log_;
  std::unique_ptr<McpEndpoint> endpoint_;
  std::unique_ptr<http::Server> server_;
};

} // namespace mcpcert::connector
