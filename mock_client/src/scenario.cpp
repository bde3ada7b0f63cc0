#include "mcpcert/mock_client/scenario.hpp"

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

#include "mcpcert/mock_client/claims.hpp"

namespace mcpcert::client {

namespace {

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

struct Rule {
  enum class Type { string, integer, boolean, strings, free_map, object };
  std::string name;
  Type type = Type::string;
  bool required = false;
  std::vector<std::string> choices; ///< for strings: the allowed values (empty: any)
  std::vector<Rule> children;       ///< for objects
  nlohmann::json fallback = nullptr;
};

Rule text(std::string name, bool required = false, std::vector<std::string> choices = {}, nlohmann::json fallback = nullptr) {
  return {std::move(name), Rule::Type::string, required, std::move(choices), {}, std::move(fallback)};
}
Rule integer(std::string name, bool required = false) { return {std::move(name), Rule::Type::integer, required, {}, {}, nullptr}; }
Rule object(std::string name, std::vector<Rule> children, bool required = false) {
  return {std::move(name), Rule::Type::object, required, {}, std::move(children), nullptr};
}
Rule free_map(std::string name) { return {std::move(name), Rule::Type::free_map, false, {}, {}, nullptr}; }
Rule strings(std::string name, bool required = false) { return {std::move(name), Rule::Type::strings, required, {}, {}, nullptr}; }

// The steps a scenario may use, and the fields of each.
const std::map<std::string, std::vector<Rule>>& step_rules() {
  static const std::map<std::string, std::vector<Rule>> rules{
      {"authorize",
       {text("as", true), text("user"), text("scope", false, {}, "finance:read"),
        object("expect", {text("outcome", true, {"granted", "refused"}), text("error")})}},
      {"connect", {text("as", true), text("protocol_version", false, {}, "2025-11-25"), object("expect", {integer("status")})}},
      {"call_tool",
       {text("as", true), text("tool", true), free_map("arguments"),
        object("expect", {text("outcome", true, {"success", "permission_error", "tool_error", "jsonrpc_error"}), integer("status"),
                          integer("error_code")}, true)}},
      {"admin",
       {text("action", true, {"revoke_mcp_access", "grant_mcp_access"}), text("user", true), text("entity", true), text("mark")}},
      {"assert_audit",
       {text("after"), text("listener", false, {"api", "issuer", "any"}, "any"), text("subject"), text("actor"),
        text("region"), text("outcome", false, {"success", "failure", "any"}, "any"), integer("count"), integer("min"),
        integer("max")}},
  };
  return rules;
}

class Reader {
public:
  explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& problem) const {
    throw ScenarioError(file_, node.IsDefined() ? line_of(node) : 0, field, problem);
  }

  std::string scalar(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "must be a text value");
    return node.as<std::string>();
  }

  nlohmann::json free_form(const YAML::Node& node, const std::string& field) const {
    switch (node.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: {
      const auto& value = node.Scalar();
      if (node.Tag() == "!") return value; // quoted: always text
      if (value == "true" || value == "false") return value == "true";
      if (value == "null" || value == "~") return nullptr;
      std::size_t used = 0;
      try {
        const auto number = std::stoll(value, &used);
        if (used == value.size()) return number;
        const auto real = std::stod(value, &used);
        if (used == value.size()) return real;
      } catch (const std::exception&) {
      }
      return value;
    }
    case YAML::NodeType::Sequence: {
      auto array = nlohmann::json::array();
      for (std::size_t i = 0; i < node.size(); ++i) array.push_back(free_form(node[i], field + "[" + std::to_string(i) + "]"));
      return array;
    }
    case YAML::NodeType::Map: {
      auto object = nlohmann::json::object();
      for (const auto& entry : node) {
        const auto key = scalar(entry.first, field);
        object[key] = free_form(entry.second, field + "." + key);
      }
      return object;
    }
    default: fail(node, field, "unsupported value");
    }
  }

  /// `validated_elsewhere` names fields that are allowed here but read by the caller.
  nlohmann::json object(const YAML::Node& node, const std::vector<Rule>& rules, const std::string& path,
                        const std::set<std::string>& validated_elsewhere = {}) const {
    if (!node.IsMap()) fail(node, path, "must be a mapping of fields");
    std::set<std::string> known = validated_elsewhere;
    for (const auto& rule : rules) known.insert(rule.name);
    for (const auto& entry : node) {
      const auto key = scalar(entry.first, path);
      if (!known.contains(key)) {
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        fail(entry.first, path + "." + key, "unknown field (expected one of: " + list + ")");
      }
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& rule : rules) {
      const auto field = path + "." + rule.name;
      const auto value = node[rule.name];
      if (!value.IsDefined() || value.IsNull()) {
        if (rule.required) fail(node, field, "required field is missing");
        if (!rule.fallback.is_null()) out[rule.name] = rule.fallback;
        continue;
      }
      switch (rule.type) {
      case Rule::Type::string: {
        auto text_value = scalar(value, field);
        if (!rule.choices.empty() && std::find(rule.choices.begin(), rule.choices.end(), text_value) == rule.choices.end()) {
          std::string list;
          for (const auto& choice : rule.choices) list += (list.empty() ? "" : ", ") + choice;
          fail(value, field, "'" + text_value + "' is not one of: " + list);
        }
        out[rule.name] = text_value;
        break;
      }
      case Rule::Type::integer: {
        auto text_value = scalar(value, field);
        std::size_t used = 0;
        long long number = 0;
        try {
          number = std::stoll(text_value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text_value.size() || text_value.empty()) fail(value, field, "must be an integer, got '" + text_value + "'");
        out[rule.name] = number;
        break;
      }
      case Rule::Type::boolean: {
        auto text_value = scalar(value, field);
        if (text_value != "true" && text_value != "false") fail(value, field, "must be true or false");
        out[rule.name] = text_value == "true";
        break;
      }
      case Rule::Type::strings: {
        if (!value.IsSequence()) fail(value, field, "must be a list");
        auto array = nlohmann::json::array();
        for (std::size_t i = 0; i < value.size(); ++i) array.push_back(scalar(value[i], field + "[" + std::to_string(i) + "]"));
        out[rule.name] = array;
        break;
      }
      case Rule::Type::free_map:
        if (!value.IsMap()) fail(value, field, "must be a mapping");
        out[rule.name] = free_form(value, field);
        break;
      case Rule::Type::object: out[rule.name] = object(value, rule.children, field); break;
      }
    }
    return out;
  }

private:
  std::filesystem::path file_;
};

} // namespace

ScenarioError::ScenarioError(const std::filesystem::path& file, int line, const std::string& field, const std::string& problem)
    : std::runtime_error(file.string() + ":" + (line > 0 ? std::to_string(line) + ":" : std::string()) + " " +
                         (field.empty() ? "" : field + ": ") + problem) {}

Scenario load_scenario(const std::filesystem::path& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(file, e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw ScenarioError(file, 0, "", "cannot read the file");
  }
  Reader reader(file);
  static const std::vector<Rule> header_rules{
      text("scenario", true), text("title", true), strings("claims", true), strings("tags"),
      object("notice", {text("source", true), text("sentence", true)}, true), text("tenant", true)};
  if (!root.IsMap()) reader.fail(root, "", "a scenario file is a mapping with scenario, title, claims, notice, tenant and steps");
  const auto fields = reader.object(root, header_rules, "scenario", {"steps"});
  const auto steps_node = root["steps"];
  if (!steps_node.IsDefined()) reader.fail(root, "scenario.steps", "required field is missing");
  if (!steps_node.IsSequence() || steps_node.size() == 0) reader.fail(steps_node, "scenario.steps", "must be a non-empty list of steps");

  Scenario scenario;
  scenario.file = file;
  scenario.name = fields["scenario"];
  scenario.title = fields["title"];
  scenario.tenant = fields["tenant"];
  scenario.notice = {fields["notice"]["source"], fields["notice"]["sentence"]};
  for (std::size_t i = 0; i < fields["claims"].size(); ++i) {
    const std::string id = fields["claims"][i];
    if (find_claim(id) == nullptr) reader.fail(root["claims"][i], "scenario.claims[" + std::to_string(i) + "]", "unknown claim id '" + id + "'");
    scenario.claims.push_back(id);
  }
  if (scenario.claims.empty()) reader.fail(root["claims"], "scenario.claims", "must name at least one claim");
  if (fields.contains("tags")) {
    for (const auto& tag : fields["tags"]) scenario.tags.push_back(tag);
  }

  std::set<std::string> marks;
  for (std::size_t i = 0; i < steps_node.size(); ++i) {
    const auto step = steps_node[i];
    const auto where = "scenario.steps[" + std::to_string(i) + "]";
    if (!step.IsMap() || step.size() != 1) reader.fail(step, where, "a step is a mapping with exactly one key: the step kind");
    const auto entry = *step.begin();
    const auto kind = reader.scalar(entry.first, where);
    const auto rules = step_rules().find(kind);
    if (rules == step_rules().end()) {
      std::string list;
      for (const auto& [name, unused] : step_rules()) list += (list.empty() ? "" : ", ") + name;
      reader.fail(entry.first, where, "unknown step '" + kind + "' (known: " + list + ")");
    }
    auto args = reader.object(entry.second, rules->second, where + "." + kind);
    if (args.contains("mark")) marks.insert(args["mark"].get<std::string>());
    if (args.contains("after") && !marks.contains(args["after"].get<std::string>())) {
      reader.fail(entry.second["after"], where + "." + kind + ".after", "no earlier step sets mark '" + args["after"].get<std::string>() + "'");
    }
    scenario.steps.push_back({kind, line_of(step), std::move(args)});
  }
  return scenario;
}

std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        const auto extension = entry.path().extension();
        if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml") &&
            entry.path().parent_path().filename() != "profiles") {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

} // namespace mcpcert::client
