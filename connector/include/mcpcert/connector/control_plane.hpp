#pragma once
/// The connector's simulation control plane: a separate loopback listener,
/// guarded by a secret, that moves the connector's virtual clock so a
/// scenario can check "refused one second after expiry" without waiting,
/// and reads the operational log back (`GET /control/log`).

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/connector_config.hpp"

namespace mcpcert::http {
class Server;
}

namespace mcpcert::connector {

class OperationalLog;

class ControlPlane {
public:
  /// `log` may be null; then the log endpoints answer 404.
  ControlPlane(boost::asio::any_io_executor executor, const ControlPlaneConfig& config, VirtualClock& clock,
               OperationalLog* log);
  ~ControlPlane();

  void start();
  void stop();
  std::string base_url() const;

private:
  std::string secret_;
  VirtualClock& clock_;
  OperationalLog* log_;
  std::unique_ptr<http::Server> server_;
};

} // namespace mcpcert::connector
