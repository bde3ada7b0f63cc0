// mcpcert-backend: hosts the simulated tenants described by a config file.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "generate_fixture.hpp"
#include "mcpcert/config.hpp"
#include "mcpcert/mock_backend/authorization_server.hpp"
#include "mcpcert/mock_backend/backend.hpp"

namespace {

constexpr int exit_usage_or_config = 2;
constexpr int exit_start_failure = 1;

void print_usage(std::ostream& out) {
  out << "usage: mcpcert-backend --config FILE.json [--test-only-mutant NAME]...\n"
         "       mcpcert-backend --list-test-only-mutants\n"
         "       mcpcert-backend --generate-fixture [--users N] [--apps M] [--seed S] [--tenant ID] > fixture.json\n"
         "Prints one line 'READY {json}' on stdout once every listener is bound; logs go to stderr.\n";
}

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--generate-fixture") return generate_fixture_main(argc, argv);
  std::string config_path;
  std::vector<std::string> mutant_names;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(std::cout);
      return EXIT_SUCCESS;
    }
    if (arg == "--list-test-only-mutants") {
      // For the harness's mutant table: which switch breaks which claim.
      nlohmann::json list = nlohmann::json::array();
      for (const auto& info : mcpcert::backend::issuer_mutant_catalogue())
        list.push_back({{"name", info.name}, {"claim", info.claim}, {"defect", info.defect}});
      std::cout << list.dump(2) << '\n';
      return EXIT_SUCCESS;
    }
    if (arg == "--test-only-mutant" && i + 1 < argc) {
      mutant_names.emplace_back(argv[++i]);
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = std::string(arg.substr(9));
    } else {
      std::cerr << "mcpcert-backend: unexpected argument '" << arg << "'\n";
      print_usage(std::cerr);
      return exit_usage_or_config;
    }
  }
  if (config_path.empty()) {
    print_usage(std::cerr);
    return exit_usage_or_config;
  }

  // A mutant breaks a promise on purpose; a normal start must never run one.
  std::set<mcpcert::backend::IssuerMutant> mutants;
  if (!mutant_names.empty()) {
    const char* allowed = std::getenv("MCPCERT_ALLOW_MUTANTS");
    if (allowed == nullptr || std::string_view(allowed) != "1") {
      std::cerr << "mcpcert-backend: refusing to start: --test-only-mutant needs MCPCERT_ALLOW_MUTANTS=1 "
                   "(mutants exist only to prove the conformance checks catch broken authorization servers)\n";
      return exit_usage_or_config;
    }
    for (const auto& name : mutant_names) {
      auto mutant = mcpcert::backend::issuer_mutant_from_name(name);
      if (!mutant) {
        std::cerr << "mcpcert-backend: unknown mutant '" << name << "'\n";
        return exit_usage_or_config;
      }
      mutants.insert(*mutant);
    }
  }

  boost::asio::io_context io(1);
  std::unique_ptr<mcpcert::backend::Backend> backend;
  try {
    auto config = mcpcert::backend::load_backend_config(config_path);
    config.mutants = mutants;
    backend = std::make_unique<mcpcert::backend::Backend>(io.get_executor(), config);
  } catch (const mcpcert::ConfigError& e) {
    std::cerr << "mcpcert-backend: refusing to start: " << e.what() << '\n';
    return exit_usage_or_config;
  } catch (const std::exception& e) {
    std::cerr << "mcpcert-backend: cannot start: " << e.what() << '\n';
    return exit_start_failure;
  }

  // Registered before READY, so a supervisor may signal as soon as it reads the line.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    std::cerr << "mcpcert-backend: signal " << signal << ", stopping\n";
    backend->stop();
    io.stop();
  });
  backend->start();
  std::cout << backend->ready_line() << std::endl;
  io.run();
  return EXIT_SUCCESS;
}
