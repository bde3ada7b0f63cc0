// mcpcert-backend: hosts the simulated tenants described by a config file.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "mcpcert/config.hpp"
#include "mcpcert/mock_backend/backend.hpp"

namespace {

constexpr int exit_usage_or_config = 2;
constexpr int exit_start_failure = 1;

void print_usage(std::ostream& out) {
  out << "usage: mcpcert-backend --config FILE.json\n"
         "Prints one line 'READY {json}' on stdout once every listener is bound; logs go to stderr.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(std::cout);
      return EXIT_SUCCESS;
    }
    if (arg == "--config" && i + 1 < argc) {
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

  boost::asio::io_context io(1);
  std::unique_ptr<mcpcert::backend::Backend> backend;
  try {
    auto config = mcpcert::backend::load_backend_config(config_path);
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
