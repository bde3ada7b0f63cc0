#pragma once
/// The backend process: every configured tenant on its own pair of loopback
/// listeners, one shared clock and audit trail, and in simulation mode the
/// control listener.

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/audit_trail.hpp"
#include "mcpcert/mock_backend/backend_config.hpp"
#include "mcpcert/mock_backend/control_api.hpp"
#include "mcpcert/mock_backend/tenant.hpp"

namespace mcpcert::backend {

class Backend {
public:
  /// Loads fixtures (ConfigError) and binds every listener (throws on failure);
  /// nothing is served before start().
  Backend(boost::asio::any_io_executor executor, const BackendConfig& config);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  void start();
  void stop();

  /// `READY {...}`: the one line a supervising harness waits for, with every bound URL.
  std::string ready_line() const;

  Tenant* find_tenant(std::string_view id);
  AuditTrail& audit() { return audit_; }
  const Clock& clock() const { return *clock_; }
  /// Null outside simulation mode.
  VirtualClock* virtual_clock() { return virtual_clock_; }
  /// Empty outside simulation mode.
  std::string control_url() const;

private:
  struct Site;

  std::unique_ptr<Clock> clock_;
  VirtualClock* virtual_clock_ = nullptr;
  AuditTrail audit_;
  std::vector<std::unique_ptr<Site>> sites_;
  std::unique_ptr<ControlApi> control_api_;
  std::unique_ptr<http::Server> control_server_;
};

} // namespace mcpcert::backend
