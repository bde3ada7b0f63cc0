#pragma once
/// Certification profiles: one vendor notice as parameters (lifetimes,
/// retention, regions, tools, logged fields, PKCE policy) and the claims it
/// makes, each tied to the notice's sentence. A profile is validated whole
/// before anything runs; a problem is a ScenarioError naming file, line and field.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client {

/// What the certified deployment is configured to do; the defaults are those
/// of the reference connector and the mock issuers (and of `mcpcert certify`
/// without --profile).
struct ProfileParameters {
  std::int64_t access_ttl = 3600;           ///< seconds
  std::int64_t refresh_ttl = 30 * 86400;    ///< seconds, from the refresh token's issue
  std::string refresh_rotation = "every_use"; ///< every_use (one-time refresh tokens) or none
  std::int64_t refresh_reuse_grace = 0;     ///< seconds an already-used refresh token is still honoured
  std::int64_t log_retention = 90 * 86400;  ///< seconds, whole days
  std::vector<std::string> regions;         ///< where tenants are hosted; empty: every region a world hosts
  /// The product the notice is about: finance or planning; empty (the built-in
  /// default) certifies both tool sets of the reference connector.
  std::string tool_set;
  /// The tools the notice promises for its tool set (TOOLSET).
  std::vector<std::string> tools;
  std::vector<std::string> log_fields{"at_ms", "tenant", "request_id", "tool", "entity", "duration_ms",
                                      "outcome", "event", "client_id", "detail", "user", "source_ip"};
  std::vector<std::string> pkce_methods{"S256"};

  /// The values `${name}` stands for in scenario files (durations in seconds).
  ScenarioParameters for_scenarios() const;
  /// The tools of `tool_set` this profile expects: its own list for its tool
  /// set, the reference connector's list otherwise.
  std::vector<std::string> tools_of(std::string_view tool_set) const;
  /// Whether tenants of `region` are covered by this profile.
  bool hosts_region(std::string_view region) const;
};

/// One promise of the notice that the profile certifies.
struct ProfileClaim {
  std::string id;       ///< a claim id of CLAIMS.md
  std::string section;  ///< where in the notice, e.g. "5 How access is revoked"
  std::string sentence; ///< the notice's words
  int line = 0;
};

struct Profile {
  std::filesystem::path file; ///< empty for the built-in default
  std::string name;           ///< e.g. emasphere-2026-05-28
  std::string notice_title;
  std::string notice_date;
  ProfileParameters parameters;
  std::vector<ProfileClaim> claims;
  std::string sha256; ///< hex digest of the file's bytes; empty for the built-in default

  const ProfileClaim* find(std::string_view claim_id) const;
};

/// Reads and validates a profile file; throws ScenarioError.
Profile load_profile(const std::filesystem::path& file);

/// The tools the reference connector serves for a tool set (finance or planning).
const std::vector<std::string>& reference_tools(std::string_view tool_set);

/// Parses "90d", "1h", "30m", "45s" or a bare number of seconds; nullopt otherwise.
std::optional<std::int64_t> parse_duration(std::string_view text);

} // namespace mcpcert::client
