#include "mcpcert/mock_client/profile.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_client/claims.hpp"
#include "mcpcert/mock_client/world.hpp"
#include "yaml_reader.hpp"

namespace mcpcert::client {

namespace {

using yaml::Reader;

constexpr std::int64_t one_day = 86400;
constexpr std::int64_t ten_years = 3660 * one_day;

const std::vector<std::string> pkce_method_names{"S256", "plain"};
const std::vector<std::string> rotation_policies{"every_use", "none"};

std::vector<std::string> hosted_regions() {
  std::vector<std::string> regions;
  for (const auto& tenant : hosted_tenants()) {
    if (std::find(regions.begin(), regions.end(), tenant.region) == regions.end()) regions.push_back(tenant.region);
  }
  return regions;
}

std::int64_t duration(const Reader& reader, const YAML::Node& node, const std::string& field, std::int64_t least) {
  const auto text = reader.scalar(node, field);
  const auto seconds = parse_duration(text);
  if (!seconds) reader.fail(node, field, "'" + text + "' is not a duration (e.g. 3600, 45s, 30m, 1h, 30d)");
  if (*seconds < least) {
    reader.fail(node, field, least == 0 ? "must not be negative" : "must be at least " + std::to_string(least) + " s, got '" + text + "'");
  }
  if (*seconds > ten_years) reader.fail(node, field, "'" + text + "' is longer than ten years");
  return *seconds;
}

// A non-empty list of distinct, non-empty names, each among `allowed` when given.
std::vector<std::string> names(const Reader& reader, const YAML::Node& node, const std::string& field,
                               const std::vector<std::string>& allowed = {}) {
  if (!node.IsSequence() || node.size() == 0) reader.fail(node, field, "must be a non-empty list");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto where = field + "[" + std::to_string(i) + "]";
    auto name = reader.scalar(node[i], where);
    if (name.empty()) reader.fail(node[i], where, "must not be empty");
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      reader.fail(node[i], where, "unknown value '" + name + "' (known: " + yaml::join(allowed) + ")");
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) reader.fail(node[i], where, "'" + name + "' is listed twice");
    out.push_back(std::move(name));
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) { return std::find(list.begin(), list.end(), item) != list.end(); }

// Every parameter is required: a vendor copying a profile must decide each
// one, not inherit ours by omission.
ProfileParameters read_parameters(const Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> fields{"access_ttl", "refresh_ttl", "refresh_rotation", "log_retention", "regions",
                                               "tool_set",   "tools",       "log_fields",       "pkce_methods"};
  const std::string path = "profile.parameters";
  if (!node.IsDefined()) reader.fail(node, path, "required field is missing");
  if (!node.IsMap()) reader.fail(node, path, "must be a mapping of parameters");
  for (const auto& entry : node) {
    const auto key = reader.scalar(entry.first, path);
    if (!contains(fields, key)) reader.fail(entry.first, path + "." + key, "unknown parameter (expected one of: " + yaml::join(fields) + ")");
  }
  auto field = [&](const std::string& name) {
    const auto value = node[name];
    if (!value.IsDefined() || value.IsNull()) reader.fail(value.IsDefined() ? value : node, path + "." + name, "required parameter is missing");
    return value;
  };
  ProfileParameters p;
  p.access_ttl = duration(reader, field("access_ttl"), path + ".access_ttl", 1);
  p.refresh_ttl = duration(reader, field("refresh_ttl"), path + ".refresh_ttl", 1);
  if (p.refresh_ttl < p.access_ttl) {
    reader.fail(field("refresh_ttl"), path + ".refresh_ttl",
                "a refresh token (" + std::to_string(p.refresh_ttl) + " s) cannot live shorter than the access token it renews (" +
                    std::to_string(p.access_ttl) + " s)");
  }
  const auto rotation = field("refresh_rotation");
  const auto rotation_fields = reader.object(rotation, {yaml::text("policy", true, rotation_policies), yaml::text("reuse_grace", true)},
                                             path + ".refresh_rotation");
  p.refresh_rotation = rotation_fields["policy"];
  p.refresh_reuse_grace = duration(reader, rotation["reuse_grace"], path + ".refresh_rotation.reuse_grace", 0);
  if (p.refresh_reuse_grace >= p.refresh_ttl) {
    reader.fail(rotation["reuse_grace"], path + ".refresh_rotation.reuse_grace", "a grace as long as the refresh lifetime would make rotation meaningless");
  }
  if (p.refresh_rotation == "none" && p.refresh_reuse_grace != 0) {
    reader.fail(rotation["reuse_grace"], path + ".refresh_rotation.reuse_grace", "a grace only applies to rotated tokens (policy every_use)");
  }
  const auto retention_node = field("log_retention");
  p.log_retention = duration(reader, retention_node, path + ".log_retention", one_day);
  if (p.log_retention % one_day != 0) reader.fail(retention_node, path + ".log_retention", "must be a whole number of days, e.g. 90d");
  p.regions = names(reader, field("regions"), path + ".regions", hosted_regions());
  const auto tool_set_node = field("tool_set");
  p.tool_set = reader.scalar(tool_set_node, path + ".tool_set");
  if (p.tool_set != "finance" && p.tool_set != "planning")
    reader.fail(tool_set_node, path + ".tool_set", "must be finance or planning");
  p.tools = names(reader, field("tools"), path + ".tools");
  p.log_fields = names(reader, field("log_fields"), path + ".log_fields");
  p.pkce_methods = names(reader, field("pkce_methods"), path + ".pkce_methods", pkce_method_names);
  if (!contains(p.pkce_methods, "S256")) reader.fail(node["pkce_methods"], path + ".pkce_methods", "must include S256 (OAuth 2.1 section 4.1.1)");
  return p;
}

// Parameters that contradict a claim the same profile makes.
void check_consistency(const Reader& reader, const YAML::Node& root, const Profile& profile) {
  const auto& p = profile.parameters;
  for (const auto& claim : profile.claims) {
    const auto where = root["parameters"];
    if (claim.id == "REFRESH-ROTATE" && p.refresh_rotation != "every_use") {
      reader.fail(where["refresh_rotation"], "profile.parameters.refresh_rotation.policy",
                  "claim REFRESH-ROTATE (line " + std::to_string(claim.line) + ") promises rotation on every use");
    }
    if (claim.id == "AUTH-CODE-PKCE" && contains(p.pkce_methods, "plain")) {
      reader.fail(where["pkce_methods"], "profile.parameters.pkce_methods",
                  "claim AUTH-CODE-PKCE (line " + std::to_string(claim.line) + ") promises S256 only; plain contradicts it");
    }
  }
}

} // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
  case 's': unit = 1; break;
  case 'm': unit = 60; break;
  case 'h': unit = 3600; break;
  case 'd': unit = one_day; break;
  default: unit = 0; break;
  }
  const auto digits = unit == 0 ? text : text.substr(0, text.size() - 1);
  if (unit == 0) unit = 1;
  std::int64_t value = 0;
  const auto* begin = digits.data();
  const auto* end = digits.data() + digits.size();
  auto [stop, ec] = std::from_chars(begin, end, value);
  if (digits.empty() || ec != std::errc{} || stop != end) return std::nullopt;
  if (value > ten_years || value < -ten_years) return value > 0 ? ten_years + 1 : -1; // reported as out of range, never overflowed
  return value * unit;
}

const std::vector<std::string>& reference_tools(std::string_view tool_set) {
  static const std::vector<std::string> finance{"get_kpis",
                                                "get_profit_and_loss",
                                                "get_balance_sheet",
                                                "get_cash_position",
                                                "get_breakdown",
                                                "list_situations",
                                                "get_kpi_configuration",
                                                "get_table_configuration",
                                                "update_kpi_configuration",
                                                "update_table_configuration"};
  static const std::vector<std::string> planning{"list_applications", "get_application", "open_application",
                                                 "close_application", "get_node_result", "run_app_tool",
                                                 "list_versions",     "create_version",  "save_version",
                                                 "update_input"};
  return tool_set == "planning" ? planning : finance;
}

std::vector<std::string> ProfileParameters::tools_of(std::string_view set) const {
  return set == tool_set ? tools : reference_tools(set);
}

ScenarioParameters ProfileParameters::for_scenarios() const {
  return {{"access_ttl", access_ttl},
          {"refresh_ttl", refresh_ttl},
          {"refresh_reuse_grace", refresh_reuse_grace},
          {"log_retention", log_retention},
          {"tools_finance", tools_of("finance")},
          {"tools_planning", tools_of("planning")},
          {"log_fields", log_fields},
          {"pkce_methods", pkce_methods}};
}

bool ProfileParameters::hosts_region(std::string_view region) const { return regions.empty() || contains(regions, region); }

const ProfileClaim* Profile::find(std::string_view claim_id) const {
  auto it = std::find_if(claims.begin(), claims.end(), [&](const ProfileClaim& claim) { return claim.id == claim_id; });
  return it == claims.end() ? nullptr : &*it;
}

Profile load_profile(const std::filesystem::path& file) {
  const auto root = yaml::load_file(file);
  Reader reader(file);
  if (!root.IsMap()) reader.fail(root, "", "a profile is a mapping with profile, notice, parameters and claims");
  const auto fields = reader.object(root, {yaml::text("profile", true), yaml::object("notice", {yaml::text("title", true), yaml::text("date", true)}, true)},
                                    "profile", {"parameters", "claims"});
  Profile profile;
  profile.file = file;
  profile.name = fields["profile"];
  profile.notice_title = fields["notice"]["title"];
  profile.notice_date = fields["notice"]["date"];
  profile.sha256 = hex_encode(sha256(yaml::read_bytes(file)));
  profile.parameters = read_parameters(reader, root["parameters"]);

  const auto claims = root["claims"];
  if (!claims.IsDefined()) reader.fail(root, "profile.claims", "required field is missing");
  if (!claims.IsSequence() || claims.size() == 0) reader.fail(claims, "profile.claims", "must be a non-empty list of {id, section, sentence}");
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const auto where = "profile.claims[" + std::to_string(i) + "]";
    const auto claim = reader.object(claims[i], {yaml::text("id", true), yaml::text("section", true), yaml::text("sentence", true)}, where);
    const std::string id = claim["id"];
    if (find_claim(id) == nullptr) {
      std::vector<std::string> known;
      for (const auto& info : claim_catalogue()) known.emplace_back(info.id);
      reader.fail(claims[i]["id"], where + ".id", "unknown claim id '" + id + "' (known: " + yaml::join(known) + ")");
    }
    if (profile.find(id) != nullptr) reader.fail(claims[i]["id"], where + ".id", "claim '" + id + "' is listed twice");
    if (claim["sentence"].get<std::string>().empty()) reader.fail(claims[i]["sentence"], where + ".sentence", "quote the notice's sentence");
    profile.claims.push_back({id, claim["section"], claim["sentence"], yaml::line_of(claims[i])});
  }
  check_consistency(reader, root, profile);
  return profile;
}

} // namespace mcpcert::client
