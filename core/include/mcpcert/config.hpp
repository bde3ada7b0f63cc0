#pragma once
/// Reading component configuration files: every problem is reported with the
/// file and the dotted path of the field, and a component refuses to start.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpcert {

/// A configuration that can't be used; what() names the file and field.
class ConfigError : public std::runtime_error {
public:
  ConfigError(const std::string& where, const std::string& problem);
};

/// A JSON object with the path it was reached by, for error messages.
class ConfigNode {
public:
  ConfigNode(const nlohmann::json& value, std::string path, std::string file);

  /// Loads a JSON file (comments allowed); throws ConfigError when unreadable or malformed.
  static nlohmann::json load_file(const std::filesystem::path& file);

  std::string require_string(std::string_view field) const;
  std::string optional_string(std::string_view field, std::string fallback) const;
  std::int64_t require_int(std::string_view field, std::int64_t min, std::int64_t max) const;
  std::int64_t optional_int(std::string_view field, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  bool optional_bool(std::string_view field, bool fallback) const;
  ConfigNode require_object(std::string_view field) const;
  /// Elements of an array field; each element keeps its index in the path.
  std::vector<ConfigNode> require_array(std::string_view field) const;
  std::vector<ConfigNode> optional_array(std::string_view field) const;
  bool has(std::string_view field) const;
  /// Refuses fields not in `known`, so a typo is not silently ignored.
  void reject_unknown(std::initializer_list<std::string_view> known) const;

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(std::string_view field, const std::string& problem) const;

private:
  const nlohmann::json* value_;
  std::string path_;
  std::string file_;
};

} // namespace mcpcert
