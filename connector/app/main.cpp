// mcpcert-connector: the reference MCP connector.
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/config.hpp"
#include "mcpcert/connector/connector_service.hpp"
#include "mcpcert/connector/control_plane.hpp"
#include "mcpcert/connector/log_maintenance.hpp"

namespace {

int usage() {
  std::cerr << "usage: mcpcert-connector --config FILE [--test-only-mutant NAME]...\n"
               "       mcpcert-connector --config FILE --rotate-log-key   (adds a new active key to log.key_file)\n"
               "       mcpcert-connector --config FILE --reencrypt-log    (moves old records to the active key)\n"
               "       mcpcert-connector --list-test-only-mutants\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string config_file;
  std::vector<std::string> mutant_names;
  // Set when the run maintains the log instead of serving.
  std::optional<mcpcert::connector::LogMaintenance> maintenance;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_file = argv[++i];
    } else if (arg == "--list-test-only-mutants") {
      // For the harness's mutant table: which switch breaks which claim.
      nlohmann::json list = nlohmann::json::array();
      for (const auto& info : mcpcert::connector::mutant_catalogue()) {
        list.push_back({{"name", info.name}, {"claim", info.claim}, {"defect", info.defect}});
      }
      std::cout << list.dump(2) << "\n";
      return 0;
    } else if (arg == "--rotate-log-key") {
      maintenance = mcpcert::connector::LogMaintenance::rotate_key;
    } else if (arg == "--reencrypt-log") {
      maintenance = mcpcert::connector::LogMaintenance::reencrypt;
    } else if (arg == "--test-only-mutant" && i + 1 < argc) {
      mutant_names.emplace_back(argv[++i]);
    } else {
      return usage();
    }
  }
  if (config_file.empty() || (maintenance && !mutant_names.empty())) return usage();

  try {
    auto config = mcpcert::connector::ConnectorConfig::load(config_file);
    if (maintenance) return mcpcert::connector::run_log_maintenance(*maintenance, config, std::cout, std::cerr);
    if (!mutant_names.empty()) {
      // A mutant breaks a promise on purpose; a normal start must never run one.
      const char* allowed = std::getenv("MCPCERT_ALLOW_MUTANTS");
      if (allowed == nullptr || std::string(allowed) != "1") {
        std::cerr << "mcpcert-connector: refusing to start: --test-only-mutant needs MCPCERT_ALLOW_MUTANTS=1 "
                     "(mutants exist only to prove the conformance checks catch broken connectors)\n";
        return 2;
      }
      for (const auto& name : mutant_names) {
        auto mutant = mcpcert::connector::mutant_from_name(name);
        if (!mutant) {
          std::cerr << "mcpcert-connector: unknown mutant '" << name << "'\n";
          return 2;
        }
        config.mutants.insert(*mutant);
      }
    }

    boost::asio::io_context io;
    // Simulation (a control plane configured) runs on virtual time; a normal start on the machine's clock.
    mcpcert::SystemClock system_clock;
    mcpcert::VirtualClock virtual_clock;
    const bool simulation = config.control.has_value();
    const mcpcert::Clock& clock = simulation ? static_cast<const mcpcert::Clock&>(virtual_clock) : system_clock;
    const auto control_config = config.control;
    mcpcert::connector::ConnectorService service(io.get_executor(), std::move(config), clock);
    std::unique_ptr<mcpcert::connector::ControlPlane> control;
    if (simulation) {
      control = std::make_unique<mcpcert::connector::ControlPlane>(io.get_executor(), *control_config, virtual_clock,
                                                                   service.operational_log());
    }
    service.start();
    nlohmann::json ready{{"mcp", service.mcp_url()}, {"tenant_mcp", service.tenant_mcp_urls()}};
    // Clients pin the connector's certificate from here when it was generated at start-up.
    if (service.certificate_pem()) ready["certificate_pem"] = *service.certificate_pem();
    if (control) {
      control->start();
      ready["control"] = control->base_url();
    }
    std::cout << "READY " << ready.dump() << std::endl;

    // Graceful shutdown: stop accepting, let in-flight calls finish, and give
    // up on stragglers after a bound so a stop never hangs.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::steady_timer drain_poll(io);
    const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::function<void()> wait_for_drain = [&] {
      if (service.drained() || std::chrono::steady_clock::now() >= drain_deadline) {
        io.stop();
        return;
      }
      drain_poll.expires_after(std::chrono::milliseconds(20));
      drain_poll.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) wait_for_drain();
      });
    };
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      service.stop();
      if (control) control->stop();
      wait_for_drain();
    });
    io.run();
    return 0;
  } catch (const mcpcert::ConfigError& e) {
    std::cerr << "mcpcert-connector: bad configuration: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mcpcert-connector: cannot start: " << e.what() << "\n";
    return 1;
  }
}
