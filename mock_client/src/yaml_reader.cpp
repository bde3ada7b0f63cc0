#include "yaml_reader.hpp"

#include <fstream>
#include <regex>

namespace mcpcert::client::yaml {

namespace {

int line_at(const std::string& text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// One parameter's value as YAML text: numbers and text as they are, lists as
// a flow sequence of JSON strings (which YAML reads as quoted scalars).
std::string yaml_text(const nlohmann::json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string substitute_parameters(const std::filesystem::path& file, const std::string& text, const ScenarioParameters& parameters) {
  static const std::regex reference(R"(\$\{([a-z_]+)([+-][0-9]+)?\})");
  std::string out;
  std::size_t copied = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), reference); it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    const auto found = parameters.find(match[1].str());
    if (found == parameters.end()) continue; // a runtime placeholder such as ${mcp_url}
    const auto at = static_cast<std::size_t>(match.position(0));
    out.append(text, copied, at - copied);
    copied = at + static_cast<std::size_t>(match.length(0));
    if (!match[2].matched) {
      out += yaml_text(found->second);
      continue;
    }
    if (!found->second.is_number_integer()) {
      throw ScenarioError(file, line_at(text, at), "${" + match[1].str() + "}", "only a number parameter takes an offset such as " + match[2].str());
    }
    out += std::to_string(found->second.get<long long>() + std::stoll(match[2].str()));
  }
  out.append(text, copied, std::string::npos);
  return out;
}

} // namespace

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ScenarioError(file, 0, "", "cannot read the file");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

YAML::Node load_file(const std::filesystem::path& file, const ScenarioParameters& parameters) {
  const auto text = substitute_parameters(file, read_bytes(file), parameters);
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(file, e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
}

} // namespace mcpcert::client::yaml
