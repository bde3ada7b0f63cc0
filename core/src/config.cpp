#include "mcpcert/config.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

namespace mcpcert {
namespace {

// 1-based line and column of nlohmann's error offset, which counts the
// offending character itself.
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t byte) {
  std::size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
  auto before = std::string_view(text).substr(0, end);
  auto last_newline = before.rfind('\n');
  std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  std::size_t column = last_newline == std::string_view::npos ? end + 1 : end - last_newline;
  return {line, column};
}

// nlohmann's message repeats the position we already report; keep the reason.
std::string parse_problem(const char* what) {
  std::string text = what;
  auto pos = text.find(": ");
  return pos == std::string::npos ? text : text.substr(pos + 2);
}

} // namespace

ConfigError::ConfigError(const std::string& where, const std::string& problem)
    : std::runtime_error(where + ": " + problem) {}

ConfigNode::ConfigNode(const nlohmann::json& value, std::string path, std::string file)
    : value_(&value), path_(std::move(path)), file_(std::move(file)) {}

nlohmann::json ConfigNode::load_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string(), "cannot be opened");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ConfigError(file.string(), "cannot be read");

  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text, nullptr, true, true);
  } catch (const nlohmann::json::parse_error& e) {
    auto [line, column] = line_column(text, e.byte);
    throw ConfigError(file.string() + ": line " + std::to_string(line) + ", column " + std::to_string(column),
                      parse_problem(e.what()));
  }
  if (!value.is_object()) throw ConfigError(file.string(), "top level is not a JSON object");
  return value;
}

[[noreturn]] void ConfigNode::fail(std::string_view field, const std::string& problem) const {
  std::string where = path_;
  if (!field.empty()) {
    if (!where.empty()) where += '.';
    where += field;
  }
  throw ConfigError(file_ + ": " + (where.empty() ? "(top level)" : where), problem);
}

namespace {

const nlohmann::json* member(const ConfigNode& node, std::string_view field) {
  const auto& value = node.value();
  if (!value.is_object()) node.fail("", "must be an object");
  auto it = value.find(field);
  return it == value.end() ? nullptr : &*it;
}

const nlohmann::json& required(const ConfigNode& node, std::string_view field) {
  const auto* found = member(node, field);
  if (!found) node.fail(field, "is required");
  return *found;
}

std::string as_string(const ConfigNode& node, std::string_view field, const nlohmann::json& value) {
  if (!value.is_string()) node.fail(field, "must be a string");
  return value.get<std::string>();
}

std::int64_t as_int(const ConfigNode& node, std::string_view field, const nlohmann::json& value,
                    std::int64_t min, std::int64_t max) {
  auto range = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!value.is_number_integer()) node.fail(field, range);
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    node.fail(field, range);
  auto n = value.get<std::int64_t>();
  if (n < min || n > max) node.fail(field, range);
  return n;
}

} // namespace

std::string ConfigNode::require_string(std::string_view field) const {
  return as_string(*this, field, required(*this, field));
}

std::string ConfigNode::optional_string(std::string_view field, std::string fallback) const {
  const auto* found = member(*this, field);
  return found ? as_string(*this, field, *found) : std::move(fallback);
}

std::int64_t ConfigNode::require_int(std::string_view field, std::int64_t min, std::int64_t max) const {
  return as_int(*this, field, required(*this, field), min, max);
}

std::int64_t ConfigNode::optional_int(std::string_view field, std::int64_t fallback, std::int64_t min,
                                      std::int64_t max) const {
  const auto* found = member(*this, field);
  return found ? as_int(*this, field, *found, min, max) : fallback;
}

bool ConfigNode::optional_bool(std::string_view field, bool fallback) const {
  const auto* found = member(*this, field);
  if (!found) return fallback;
  if (!found->is_boolean()) fail(field, "must be true or false");
  return found->get<bool>();
}

ConfigNode ConfigNode::require_object(std::string_view field) const {
  const auto& value = required(*this, field);
  if (!value.is_object()) fail(field, "must be an object");
  return {value, path_.empty() ? std::string(field) : path_ + "." + std::string(field), file_};
}

std::vector<ConfigNode> ConfigNode::require_array(std::string_view field) const {
  const auto& value = required(*this, field);
  if (!value.is_array()) fail(field, "must be an array");
  std::string base = path_.empty() ? std::string(field) : path_ + "." + std::string(field);
  std::vector<ConfigNode> nodes;
  nodes.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    nodes.emplace_back(value[i], base + "[" + std::to_string(i) + "]", file_);
  return nodes;
}

std::vector<ConfigNode> ConfigNode::optional_array(std::string_view field) const {
  return has(field) ? require_array(field) : std::vector<ConfigNode>{};
}

bool ConfigNode::has(std::string_view field) const { return member(*this, field) != nullptr; }

void ConfigNode::reject_unknown(std::initializer_list<std::string_view> known) const {
  if (!value_->is_object()) fail("", "must be an object");
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) fail(it.key(), "unknown field");
  }
}

} // namespace mcpcert
