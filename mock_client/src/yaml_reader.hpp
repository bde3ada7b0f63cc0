#pragma once
// The YAML reading shared by scenario, profile and target files: a mapping is
// checked against rules (known fields, types, choices, required), and every
// problem is a ScenarioError naming file, line and field.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client::yaml {

inline int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

class Reader;

struct Rule {
  enum class Type { string, integer, boolean, strings, free_map, object, custom };
  using Parser = std::function<nlohmann::json(const Reader&, const YAML::Node&, const std::string& field)>;
  std::string name;
  Type type = Type::string;
  bool required = false;
  std::vector<std::string> choices; ///< for strings: the allowed values (empty: any)
  std::vector<Rule> children;       ///< for objects
  nlohmann::json fallback = nullptr;
  Parser parse;                     ///< for custom values
};

inline Rule text(std::string name, bool required = false, std::vector<std::string> choices = {}, nlohmann::json fallback = nullptr) {
  return {std::move(name), Rule::Type::string, required, std::move(choices), {}, std::move(fallback), {}};
}
inline Rule boolean(std::string name) { return {std::move(name), Rule::Type::boolean, false, {}, {}, nullptr, {}}; }
inline Rule integer(std::string name, bool required = false) { return {std::move(name), Rule::Type::integer, required, {}, {}, nullptr, {}}; }
inline Rule object(std::string name, std::vector<Rule> children, bool required = false) {
  return {std::move(name), Rule::Type::object, required, {}, std::move(children), nullptr, {}};
}
inline Rule free_map(std::string name) { return {std::move(name), Rule::Type::free_map, false, {}, {}, nullptr, {}}; }
inline Rule strings(std::string name, bool required = false) { return {std::move(name), Rule::Type::strings, required, {}, {}, nullptr, {}}; }
inline Rule custom(std::string name, Rule::Parser parse, bool required = false) {
  return {std::move(name), Rule::Type::custom, required, {}, {}, nullptr, std::move(parse)};
}

inline std::string join(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& item : items) list += (list.empty() ? "" : ", ") + item;
  return list;
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

  long long whole_number(const YAML::Node& node, const std::string& field) const {
    auto text_value = scalar(node, field);
    std::size_t used = 0;
    long long number = 0;
    try {
      number = std::stoll(text_value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text_value.size() || text_value.empty()) fail(node, field, "must be an integer, got '" + text_value + "'");
    return number;
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
        fail(entry.first, path + "." + key, "unknown field (expected one of: " + join({known.begin(), known.end()}) + ")");
      }
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& rule : rules) {
      const auto field = path + "." + rule.name;
      const auto value = node[rule.name];
      if (!value.IsDefined() || value.IsNull()) {
        if (rule.required) fail(value.IsDefined() ? value : node, field, "required field is missing");
        if (!rule.fallback.is_null()) out[rule.name] = rule.fallback;
        continue;
      }
      switch (rule.type) {
      case Rule::Type::string: {
        auto text_value = scalar(value, field);
        if (!rule.choices.empty() && std::find(rule.choices.begin(), rule.choices.end(), text_value) == rule.choices.end()) {
          fail(value, field, "'" + text_value + "' is not one of: " + join(rule.choices));
        }
        out[rule.name] = text_value;
        break;
      }
      case Rule::Type::integer: out[rule.name] = whole_number(value, field); break;
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
      case Rule::Type::custom: out[rule.name] = rule.parse(*this, value, field); break;
      }
    }
    return out;
  }

private:
  std::filesystem::path file_;
};

/// Reads and parses a YAML file; `${name}` (and `${name+N}`, `${name-N}`) of
/// a name in `parameters` is replaced by its value first, so line numbers stay
/// those of the file. Other ${...} are left for the runner. Throws ScenarioError.
YAML::Node load_file(const std::filesystem::path& file, const ScenarioParameters& parameters = {});

/// The file's bytes (profiles and targets are digested as they are on disk).
std::string read_bytes(const std::filesystem::path& file);

} // namespace mcpcert::client::yaml
