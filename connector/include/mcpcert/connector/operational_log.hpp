#pragma once
/// The connector's operational log: a record per tool call and per auth
/// event, committed (durably) before the response it describes is sent, kept
/// in one SQLite store per region so a tenant's records stay in its region.
/// User ids, source IPs and any logged argument are encrypted with
/// AES-256-GCM; records older than the retention are deleted by a sweep, or
/// pseudonymised: their personal fields replaced by keyed HMAC-SHA-256
/// pseudonyms, so counts per user survive but the user can't be named
/// without the pseudonym key.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/aead.hpp"
#include "mcpcert/clock.hpp"

namespace mcpcert::connector {

/// Optional fields a profile may allow into the log (`log_fields`); the
/// rest are always recorded.
enum class OptionalLogField { arguments };

/// What the sweep does to a record past the retention.
enum class RetentionMode { delete_records, pseudonymise };

struct OperationalLogConfig {
  std::filesystem::path directory;          ///< one <region>.sqlite per region
  std::string active_key_id;                ///< key that seals new records
  std::map<std::string, AeadKey> keys;      ///< every key still needed to open old records
  std::chrono::seconds retention{90LL * 24 * 3600};
  std::set<OptionalLogField> optional_fields;
  RetentionMode retention_mode = RetentionMode::delete_records;
  /// Keys the pseudonyms (pseudonymise mode); never the encryption key.
  std::string pseudonym_key;
  /// Largest size of one region's store (SQLite max_page_count); 0: no bound.
  std::int64_t max_store_bytes = 0;
  /// Where the keys came from, for --rotate-log-key; empty when from the environment.
  std::filesystem::path key_file;

  // Set only by test-only mutants; a deployment keeps the defaults.
  bool seal_personal_fields = true;
  bool sweep_enabled = true;
  bool one_store_for_all_regions = false;
  /// Records held in an open transaction until this many are pending (the
  /// log-buffered mutant); 1 commits each record before the reply.
  int commit_every = 1;

  /// Reads a key file: {"active": "k2", "keys": {"k1": "<64 hex>", "k2": "<64 hex>"}}.
  /// Throws ConfigError naming the field.
  static void load_keys(const std::filesystem::path& key_file, OperationalLogConfig& into);
  /// The same from a key ring held as text (e.g. an environment variable); `origin` names it in errors.
  static void load_keys_text(const std::string& text, const std::string& origin, OperationalLogConfig& into);
  /// 32 bytes from 64 hex characters (surrounding whitespace ignored), else nullopt.
  static std::optional<std::string> parse_hex_key(std::string_view text);
  /// Adds a fresh random key to a key file and makes it the active one, replacing
  /// the file atomically (mode 0600); returns the new key's id. Old keys stay, so
  /// old records stay readable until `reencrypt` has moved them. Throws ConfigError.
  static std::string rotate_key_file(const std::filesystem::path& key_file);
};

/// What `reencrypt` did.
struct ReencryptReport {
  std::size_t records = 0;           ///< records moved to the active key
  std::set<std::string> keys_in_use; ///< key ids records still name afterwards
  std::string failure;               ///< empty on success; else nothing of that store changed
};

enum class LogStatus { ok, storage_failure };

/// One tool call as it will be stored.
struct ToolCallEntry {
  std::string request_id;
  std::string tenant;
  std::string region;
  std::string tool;
  std::string user;
  std::string entity;
  std::string source_ip;
  std::int64_t started_at_ms = 0;
  std::int64_t duration_ms = 0;
  std::string outcome;   ///< success, tool_error, permission_denied, invalid_params, upstream_failure
  std::string arguments; ///< serialized; stored only when the profile allows it
};

/// One authentication event as it will be stored.
struct AuthEventEntry {
  std::string event;     ///< token_rejected, session_opened, session_closed, permission_denied
  std::string request_id; ///< the request that caused it (also in its X-Request-Id header)
  std::string tenant;    ///< empty when the token named no tenant we serve
  std::string region;    ///< store to use; empty for events before any tenant is known
  std::string user;
  std::string client_id;
  std::string source_ip;
  std::string detail;    ///< a fixed reason (e.g. the JwtStatus name), never token material
  std::int64_t at_ms = 0;
};

class OperationalLog {
public:
  /// Opens (creating if needed) the store directory; throws at start-up if it can't.
  OperationalLog(OperationalLogConfig config, const Clock& clock);
  ~OperationalLog();

  LogStatus append(const ToolCallEntry& entry);
  /// Several tool calls' records, one transaction (one sync) per region's
  /// store; a status per entry, in order. If a store's batch fails, it is
  /// rolled back and its records are appended one by one, so a status says
  /// whether that record, and not merely its batch, is durable.
  std::vector<LogStatus> append(std::span<const ToolCallEntry> entries);
  LogStatus append(const AuthEventEntry& entry);
  /// Transactions that committed tool-call records (a batch counts once).
  std::uint64_t tool_call_commits() const;

  /// Deletes (or pseudonymises, per the retention mode) every record older than
  /// the retention, in every region, one transaction per store; returns how many.
  /// Idempotent: a pseudonymised record is not touched again.
  std::size_t sweep();

  /// Moves every record sealed under an older key to the active key, one
  /// transaction per store, so the older keys can then be removed. Idempotent.
  ReencryptReport reencrypt();

  /// Records of one region (or all), decrypted, in order; for the harness's read-back.
  nlohmann::json export_records(const std::string& region, std::int64_t since_seq);

  const std::filesystem::path& directory() const { return config_.directory; }

private:
  struct RegionStore;
  RegionStore* store_for(const std::string& region);
  bool insert(RegionStore& store, const ToolCallEntry& entry);
  LogStatus append_one(const ToolCallEntry& entry);
  void open_existing_stores();
  std::string key_id() const;
  std::string seal(const std::string& value, const char* column) const;
  std::optional<std::string> open(const std::string& sealed, const std::string& key_id, const char* column) const;
  std::size_t pseudonymise(RegionStore& store, std::int64_t cutoff);
  std::string pseudonym(const std::string& value, const char* column) const;

  OperationalLogConfig config_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<RegionStore>> stores_;
  std::map<std::string, std::string> unopened_; ///< store name -> why it could not be opened
  std::uint64_t commits_ = 0;
};

} // namespace mcpcert::connector
