// Configuration files as the components read them at start-up: core's
// strict JSON reader, then the backend's configuration on top of it. Every
// problem must come out as a ConfigError naming file and field; any other
// exception or a crash is a finding.

#include "fuzz_input.hpp"
#include "mcpcert/config.hpp"
#include "mcpcert/mock_backend/backend_config.hpp"

namespace {

using namespace mcpcert;

// Every accessor on every field, as a reader of an unknown layout would.
void walk(const ConfigNode& node, int depth) {
  if (depth > 8 || !node.value().is_object()) return;
  for (const auto& [name, value] : node.value().items()) {
    try {
      if (value.is_object()) walk(node.require_object(name), depth + 1);
      if (value.is_array()) {
        for (const auto& element : node.require_array(name)) walk(element, depth + 1);
      }
      (void)node.has(name);
      (void)node.optional_string(name, "");
      (void)node.optional_bool(name, false);
      (void)node.optional_int(name, 0, -1000, 1000);
      (void)node.require_int(name, INT64_MIN, INT64_MAX);
      (void)node.require_string(name);
    } catch (const ConfigError&) {
    }
  }
  try {
    node.reject_unknown({"tenants", "simulation", "control", "state_dir"});
  } catch (const ConfigError&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = fuzz::write_temp_file(fuzz::as_text(data, size), ".json");
  nlohmann::json document;
  try {
    document = ConfigNode::load_file(file);
  } catch (const ConfigError&) {
    return 0;
  }
  walk(ConfigNode(document, "", file.string()), 0);
  try {
    (void)backend::parse_backend_config(document, file);
  } catch (const ConfigError&) {
  }
  return 0;
}
