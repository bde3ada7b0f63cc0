// Scenario files as `mcpcert run` loads them: YAML from anyone who writes a
// scenario. Every problem must come out as a ScenarioError naming file, line
// and field; any other exception or a crash is a finding.

#include "fuzz_input.hpp"
#include "mcpcert/mock_client/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpcert;
  const auto file = fuzz::write_temp_file(fuzz::as_text(data, size), ".yaml");
  try {
    (void)client::load_scenario(file);
  } catch (const client::ScenarioError&) {
  }
  return 0;
}
