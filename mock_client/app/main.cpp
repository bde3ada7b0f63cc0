// mcpcert: the harness's one entry point.
#include <iostream>

#include "mcpcert/mock_client/cli.hpp"

int main(int argc, char** argv) {
  return mcpcert::client::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
