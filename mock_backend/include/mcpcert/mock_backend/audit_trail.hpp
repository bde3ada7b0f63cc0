#pragma once
/// Every request a tenant's API or issuer receives, and every request its
/// issuer makes itself (client metadata document fetches), in arrival order
/// across the whole process: the harness's evidence of what a connector
/// actually did, and of what the issuer fetched.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

/// `outbound`: a request the issuer made (method, URL without query as path, the answer's status).
enum class Listener { api, issuer, outbound };

const char* to_string(Listener listener);
std::optional<Listener> parse_listener(std::string_view text);

/// Who a request acted as, as far as the listener could establish it.
struct AuditFacts {
  std::string subject;  ///< end user (token `sub`)
  std::string actor;    ///< token `act.sub`, e.g. the connector acting for the user
  std::string token_id; ///< `jti` of the token presented
  std::string client_id;
  /// Lowercase hex SHA-256 of the raw `Authorization: Bearer` token, valid or not.
  std::string bearer_sha256;
  /// Lowercase hex SHA-256 of a token exchange's subject_token (issuer only).
  std::string subject_token_sha256;
};

struct AuditRecord {
  std::uint64_t seq = 0; ///< assigned by the trail, strictly increasing per process
  TimePoint time;
  std::string region;
  std::string tenant;
  Listener listener = Listener::api;
  std::string method;
  std::string path; ///< without the query string, which may carry codes
  AuditFacts facts;
  unsigned status = 0;
  std::size_t response_bytes = 0;
  /// Watched texts found anywhere in the request (target, headers, body).
  std::vector<std::string> watched;
};

/// Facts the listener could not establish are left out rather than written as
/// null or "", so "unknown" is never mistaken for a value.
nlohmann::json to_json(const AuditRecord& record);

struct AuditFilter {
  std::string tenant;
  std::uint64_t since_seq = 0; ///< only records with seq > since_seq
  std::optional<Listener> listener;
  std::optional<std::string> subject;
};

/// Shared by all tenants; guarded by a mutex because tests read it from
/// another thread than the io_context's.
class AuditTrail {
public:
  /// Beyond `capacity` records the oldest are dropped, so a benchmark can't exhaust memory.
  explicit AuditTrail(std::size_t capacity = 1'000'000);

  /// Stamps the record with the next seq and returns it.
  std::uint64_t append(AuditRecord record);
  std::vector<AuditRecord> select(const AuditFilter& filter) const;
  std::uint64_t last_seq() const;

  /// Adds a text to look for in every request received from now on (e.g. a
  /// conversation canary), so the audit can show it never reached a tenant.
  void watch(std::string text);
  bool watching() const;
  /// The watched texts `request_text` contains.
  std::vector<std::string> watched_in(std::string_view request_text) const;

private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::uint64_t last_seq_ = 0;
  std::deque<AuditRecord> records_;
  std::vector<std::string> watched_;
};

} // namespace mcpcert::backend
