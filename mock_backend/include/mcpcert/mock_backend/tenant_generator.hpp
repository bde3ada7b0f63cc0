#pragma once
/// Large planning tenants for benchmarks and load runs: a fixture document
/// (the same format as mock_backend/fixtures/*.json) with N users and M
/// applications, organised in departments and teams, with every role
/// (including a custom one) and every kind of share, drawn from a seed so
/// the same arguments always give the same tenant.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpcert::backend {

struct GeneratedTenantSpec {
  std::string tenant = "generated-planning";
  int users = 10'000;
  int applications = 1'000;
  std::uint64_t seed = 1;
};

/// Throws std::invalid_argument for counts below 1 or above 1,000,000.
nlohmann::json generate_tenant_fixture(const GeneratedTenantSpec& spec);

} // namespace mcpcert::backend
