// `mcpcert-backend --generate-fixture`: writes a large planning tenant's
// fixture (for benchmarks and load runs) to stdout.
#include <charconv>
#include <iostream>
#include <string>
#include <string_view>

#include "generate_fixture.hpp"
#include "mcpcert/mock_backend/tenant_generator.hpp"

namespace {

bool parse_number(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

} // namespace

int generate_fixture_main(int argc, char** argv) {
  mcpcert::backend::GeneratedTenantSpec spec;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "mcpcert-backend: " << arg << " needs a value\n";
      return 2;
    }
    std::string_view value = argv[++i];
    std::uint64_t number = 0;
    if (arg == "--tenant") {
      spec.tenant = std::string(value);
      continue;
    }
    if (!parse_number(value, number)) {
      std::cerr << "mcpcert-backend: " << arg << " needs a non-negative integer, got '" << value << "'\n";
      return 2;
    }
    if (arg == "--users") spec.users = static_cast<int>(std::min<std::uint64_t>(number, 2'000'000));
    else if (arg == "--apps") spec.applications = static_cast<int>(std::min<std::uint64_t>(number, 2'000'000));
    else if (arg == "--seed") spec.seed = number;
    else {
      std::cerr << "mcpcert-backend: unexpected argument '" << arg << "' (--users N --apps M --seed S [--tenant ID])\n";
      return 2;
    }
  }
  try {
    std::cout << mcpcert::backend::generate_tenant_fixture(spec).dump(1) << '\n';
  } catch (const std::invalid_argument& e) {
    std::cerr << "mcpcert-backend: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
