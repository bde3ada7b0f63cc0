// Certification profiles as `mcpcert certify --profile` loads them: YAML
// written from a vendor's privacy notice. Every problem must come out as a
// ScenarioError naming file, line and field; any other exception or a crash
// is a finding. The first line is also tried as a duration ("90d", "1h").

#include "fuzz_input.hpp"
#include "mcpcert/mock_client/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpcert;
  const auto text = fuzz::as_text(data, size);
  // Negative values come back on purpose: the loader names them in its refusal.
  (void)client::parse_duration(fuzz::split_line(text).first);
  const auto file = fuzz::write_temp_file(text, ".yaml");
  try {
    (void)client::load_profile(file);
  } catch (const client::ScenarioError&) {
  }
  return 0;
}
