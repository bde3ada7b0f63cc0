// mcpcert-bench: `mcpcert bench`'s executable. Also runs the floor servers it
// starts as child processes (--serve-trivial [REPLY_BYTES], --serve-proxy URL,
// --serve-call-shape URL RECORD_FILE).
#include <iostream>
#include <string>
#include <vector>

#include "mcpcert/bench/bench_run.hpp"
#include "mcpcert/bench/floor_servers.hpp"
#include "mcpcert/bench/soak_run.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && args[0] == "--serve-trivial") return mcpcert::bench::serve_trivial();
    if (args.size() == 2 && args[0] == "--serve-trivial") return mcpcert::bench::serve_trivial(std::stoul(args[1]));
    if (args.size() == 2 && args[0] == "--serve-proxy") return mcpcert::bench::serve_proxy(args[1]);
    if (args.size() == 3 && args[0] == "--serve-call-shape") return mcpcert::bench::serve_call_shape(args[1], args[2]);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << mcpcert::bench::bench_usage();
      return 0;
    }
    std::string error;
    if (!args.empty() && args[0] == "--soak") {
      auto soak = mcpcert::bench::parse_soak_options({args.begin() + 1, args.end()}, error);
      if (!soak) {
        std::cerr << "mcpcert bench --soak: " << error << "\n" << mcpcert::bench::soak_usage();
        return 2;
      }
      return mcpcert::bench::run_soak(*soak);
    }
    auto options = mcpcert::bench::parse_bench_options(args, error);
    if (!options) {
      std::cerr << "mcpcert bench: " << error << "\n" << mcpcert::bench::bench_usage();
      return 2;
    }
    return mcpcert::bench::run_bench(*options);
  } catch (const std::exception& e) {
    std::cerr << "mcpcert-bench: " << e.what() << "\n";
    return 1;
  }
}
