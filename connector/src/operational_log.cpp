#include "mcpcert/connector/operational_log.hpp"

#include <sqlite3.h>

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <map>
#include <stdexcept>

#include "mcpcert/config.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  request_id TEXT,
  tool TEXT,
  entity TEXT,
  duration_ms INTEGER,
  outcome TEXT,
  event TEXT,
  client_id TEXT,
  detail TEXT,
  key_id TEXT NOT NULL,
  user_sealed BLOB,
  ip_sealed BLOB,
  arguments_sealed BLOB,
  pseudonymised INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS records_by_time ON records(at_ms);
)sql";

// Records with no tenant yet (a token we could not attribute) go to a store
// of their own rather than into some region's.
constexpr const char* unattributed_store = "unattributed";
// Marks records written without encryption (only the plaintext-log mutant does).
constexpr const char* plaintext_key_id = "plaintext";
// Marks records whose personal fields are pseudonyms, sealed by no key.
constexpr const char* pseudonym_key_id = "pseudonym";

struct StatementFree {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFree>;

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int value = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      const char c = hex[i + j];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= c - '0';
      else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
      else return std::nullopt;
    }
    out.push_back(static_cast<char>(value));
  }
  return out;
}

void bind_text(sqlite3_stmt* statement, int index, const std::string& value) {
  if (value.empty()) sqlite3_bind_null(statement, index);
  else sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

void bind_blob(sqlite3_stmt* statement, int index, const std::string& value) {
  if (value.empty()) sqlite3_bind_null(statement, index);
  else sqlite3_bind_blob(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

/// Runs a cached statement once and resets it, releasing what it holds.
bool step_once(sqlite3_stmt* statement) {
  const bool done = sqlite3_step(statement) == SQLITE_DONE;
  sqlite3_reset(statement);
  return done;
}

std::string column_text(sqlite3_stmt* statement, int index) {
  const auto* text = sqlite3_column_text(statement, index);
  return text == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(statement, index)));
}

std::string column_blob(sqlite3_stmt* statement, int index) {
  const auto* blob = sqlite3_column_blob(statement, index);
  return blob == nullptr ? std::string{} : std::string(static_cast<const char*>(blob), static_cast<std::size_t>(sqlite3_column_bytes(statement, index)));
}

void read_key_ring(const ConfigNode& root, OperationalLogConfig& into) {
  root.reject_unknown({"active", "keys"});
  into.active_key_id = root.require_string("active");
  const auto keys = root.require_object("keys");
  for (const auto& [id, value] : keys.value().items()) {
    if (!value.is_string()) keys.fail(id, "must be 64 hex characters");
    auto bytes = hex_decode(value.get<std::string>());
    auto key = bytes ? AeadKey::from_bytes(*bytes) : std::nullopt;
    if (!key) keys.fail(id, "must be 64 hex characters (a 256-bit key)");
    into.keys.insert_or_assign(id, std::move(*key));
  }
  if (!into.keys.contains(into.active_key_id)) root.fail("active", "names no key of 'keys'");
}

constexpr const char* insert_tool_call_sql =
    "INSERT INTO records (kind, at_ms, tenant, request_id, tool, entity, duration_ms, outcome, key_id, user_sealed, ip_sealed, arguments_sealed) "
    "VALUES ('tool_call', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* insert_auth_event_sql =
    "INSERT INTO records (kind, at_ms, tenant, event, client_id, detail, key_id, user_sealed, ip_sealed, request_id) "
    "VALUES ('auth_event', ?, ?, ?, ?, ?, ?, ?, ?, ?)";

} // namespace

struct OperationalLog::RegionStore {
  sqlite3* db = nullptr;
  // Prepared once: compiling the INSERT cost as much as running it.
  Statement insert_tool_call;
  Statement insert_auth_event;
  ~RegionStore() {
    insert_tool_call.reset();
    insert_auth_event.reset();
    if (db != nullptr) sqlite3_close_v2(db);
  }
  /// The cached statement, reset and unbound for its next use.
  sqlite3_stmt* reuse(Statement& cached, const char* sql) {
    if (!cached) cached = prepare(sql);
    if (!cached) return nullptr;
    sqlite3_reset(cached.get());
    sqlite3_clear_bindings(cached.get());
    return cached.get();
  }
  bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  int pending = 0; ///< records in the open transaction (log-buffered mutant only)
  Statement prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) return nullptr;
    return Statement(statement);
  }
  bool has_column(const char* name) {
    auto statement = prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = ?");
    if (!statement) return false;
    sqlite3_bind_text(statement.get(), 1, name, -1, SQLITE_STATIC);
    return sqlite3_step(statement.get()) == SQLITE_ROW;
  }
};

void OperationalLogConfig::load_keys(const std::filesystem::path& key_file, OperationalLogConfig& into) {
  const auto document = ConfigNode::load_file(key_file);
  ConfigNode root(document, "", key_file.string());
  read_key_ring(root, into);
  into.key_file = key_file;
}

void OperationalLogConfig::load_keys_text(const std::string& text, const std::string& origin, OperationalLogConfig& into) {
  const auto document = nlohmann::json::parse(text, nullptr, false, true);
  if (document.is_discarded() || !document.is_object()) throw ConfigError(origin, "must hold a JSON key ring {\"active\", \"keys\"}");
  ConfigNode root(document, "", origin);
  read_key_ring(root, into);
}

std::optional<std::string> OperationalLogConfig::parse_hex_key(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  auto bytes = hex_decode(text);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  return bytes;
}

std::string OperationalLogConfig::rotate_key_file(const std::filesystem::path& key_file) {
  OperationalLogConfig current;
  load_keys(key_file, current);
  // Appended rather than "k" + ...: g++ 12 -O2 misreports that form (-Wrestrict, GCC bug 105651).
  const auto key_name = [](std::size_t number) {
    std::string name = "k";
    name += std::to_string(number);
    return name;
  };
  std::size_t number = current.keys.size() + 1;
  while (current.keys.contains(key_name(number))) ++number;
  const auto id = key_name(number);
  nlohmann::json ring = {{"active", id}, {"keys", nlohmann::json::object()}};
  for (const auto& [old_id, key] : current.keys) ring["keys"][old_id] = hex_encode(key.bytes());
  ring["keys"][id] = hex_encode(random_bytes(32));
  // Written beside the file and renamed over it: a crash leaves the old ring or the new, never half of one.
  auto temporary = key_file;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    ::chmod(temporary.c_str(), 0600);
    out << ring.dump(2) << "\n";
    out.flush();
    if (!out) throw ConfigError(temporary.string(), "cannot write the new key ring");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, key_file, ec);
  if (ec) throw ConfigError(key_file.string(), "cannot replace the key ring: " + ec.message());
  return id;
}

OperationalLog::OperationalLog(OperationalLogConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  std::filesystem::create_directories(config_.directory);
  if (!config_.keys.contains(config_.active_key_id)) throw std::invalid_argument("operational log: no active encryption key");
}

OperationalLog::~OperationalLog() = default;

OperationalLog::RegionStore* OperationalLog::store_for(const std::string& region) {
  auto name = region.empty() ? std::string(unattributed_store) : region;
  if (config_.one_store_for_all_regions) name = "all-regions";
  if (auto it = stores_.find(name); it != stores_.end()) return it->second.get();
  auto store = std::make_unique<RegionStore>();
  const auto path = config_.directory / (name + ".sqlite");
  const auto refuse = [&](const char* what) -> RegionStore* {
    unopened_[name] = std::string(what) + ": " + (store->db != nullptr ? sqlite3_errmsg(store->db) : "out of memory");
    return nullptr;
  };
  if (sqlite3_open_v2(path.c_str(), &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    return refuse("cannot open");
  }
  // FULL synchronous WAL: a committed record survives a kill -9 or a power cut.
  // secure_delete: a swept record's bytes are overwritten, not left in free pages.
  // Exclusive locking: this process is the store's only user (readers go
  // through the control plane), so each commit skips its six lock calls and
  // the WAL index lives in memory; the lock dies with the process, kill -9
  // included.
  if (!store->exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                   "PRAGMA secure_delete=ON;") ||
      !store->exec(schema)) {
    return refuse(sqlite3_errcode(store->db) == SQLITE_BUSY ? "held by another process (a running connector?)"
                                                             : "cannot prepare");
  }
  // Stores written before pseudonymisation existed gain its marker, every old record unmarked.
  if (!store->has_column("pseudonymised") &&
      !store->exec("ALTER TABLE records ADD COLUMN pseudonymised INTEGER NOT NULL DEFAULT 0")) {
    return refuse("cannot add the pseudonymised column");
  }
  if (config_.max_store_bytes > 0) {
    // A quota per region: past it an append fails with SQLITE_FULL, as on a full disk.
    auto page_size = store->prepare("PRAGMA page_size");
    if (!page_size || sqlite3_step(page_size.get()) != SQLITE_ROW) return nullptr;
    const auto pages = std::max<std::int64_t>(1, config_.max_store_bytes / sqlite3_column_int64(page_size.get(), 0));
    if (!store->exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str())) return refuse("cannot set the quota");
  }
  unopened_.erase(name);
  auto* raw = store.get();
  stores_.emplace(name, std::move(store));
  return raw;
}

void OperationalLog::open_existing_stores() {
  // Stores written before this process started (a restart) count as much as ours.
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(config_.directory, ec)) {
    if (file.path().extension() == ".sqlite") store_for(file.path().stem().string());
  }
}

std::string OperationalLog::key_id() const {
  return config_.seal_personal_fields ? config_.active_key_id : std::string(plaintext_key_id);
}

std::string OperationalLog::seal(const std::string& value, const char* column) const {
  if (value.empty()) return {};
  if (!config_.seal_personal_fields) return value;
  return config_.keys.at(config_.active_key_id).seal(value, column);
}

std::optional<std::string> OperationalLog::open(const std::string& sealed, const std::string& key_id, const char* column) const {
  if (sealed.empty()) return std::string{};
  if (key_id == plaintext_key_id || key_id == pseudonym_key_id) return sealed;
  auto key = config_.keys.find(key_id);
  if (key == config_.keys.end()) return std::nullopt;
  return key->second.open(sealed, column);
}

bool OperationalLog::insert(RegionStore& store, const ToolCallEntry& entry) {
  auto* statement = store.reuse(store.insert_tool_call, insert_tool_call_sql);
  if (statement == nullptr) return false;
  sqlite3_bind_int64(statement, 1, entry.started_at_ms);
  bind_text(statement, 2, entry.tenant);
  bind_text(statement, 3, entry.request_id);
  bind_text(statement, 4, entry.tool);
  bind_text(statement, 5, entry.entity);
  sqlite3_bind_int64(statement, 6, entry.duration_ms);
  bind_text(statement, 7, entry.outcome);
  bind_text(statement, 8, key_id());
  bind_blob(statement, 9, seal(entry.user, "user"));
  bind_blob(statement, 10, seal(entry.source_ip, "source_ip"));
  const bool keep_arguments = config_.optional_fields.contains(OptionalLogField::arguments);
  bind_blob(statement, 11, keep_arguments ? seal(entry.arguments, "arguments") : std::string{});
  return step_once(statement);
}

LogStatus OperationalLog::append_one(const ToolCallEntry& entry) {
  auto* store = store_for(entry.region);
  if (store == nullptr) return LogStatus::storage_failure;
  if (config_.commit_every > 1 && store->pending == 0 && !store->exec("BEGIN")) return LogStatus::storage_failure;
  if (!insert(*store, entry)) return LogStatus::storage_failure;
  // The defect of the log-buffered mutant: the reply goes out before the record is committed.
  if (config_.commit_every > 1 && ++store->pending >= config_.commit_every) {
    store->pending = 0;
    if (!store->exec("COMMIT")) return LogStatus::storage_failure;
  }
  if (config_.commit_every <= 1) ++commits_;
  return LogStatus::ok;
}

LogStatus OperationalLog::append(const ToolCallEntry& entry) {
  std::lock_guard lock(mutex_);
  return append_one(entry);
}

std::vector<LogStatus> OperationalLog::append(std::span<const ToolCallEntry> entries) {
  std::lock_guard lock(mutex_);
  std::vector<LogStatus> statuses(entries.size(), LogStatus::storage_failure);
  if (config_.commit_every > 1) {
    for (std::size_t i = 0; i < entries.size(); ++i) statuses[i] = append_one(entries[i]);
    return statuses;
  }
  // One transaction per region's store: one sync for every record in it.
  std::map<RegionStore*, std::vector<std::size_t>> by_store;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (auto* store = store_for(entries[i].region)) by_store[store].push_back(i);
  }
  for (auto& [store, indexes] : by_store) {
    bool whole = indexes.size() > 1 && store->exec("BEGIN IMMEDIATE");
    for (std::size_t k = 0; whole && k < indexes.size(); ++k) whole = insert(*store, entries[indexes[k]]);
    if (whole && store->exec("COMMIT")) {
      ++commits_;
      for (auto i : indexes) statuses[i] = LogStatus::ok;
      continue;
    }
    // A batch that failed (a full store, say) is undone and retried record by
    // record, so each call learns whether its own record is durable.
    if (indexes.size() > 1) store->exec("ROLLBACK");
    for (auto i : indexes) statuses[i] = append_one(entries[i]);
  }
  return statuses;
}

LogStatus OperationalLog::append(const AuthEventEntry& entry) {
  std::lock_guard lock(mutex_);
  auto* store = store_for(entry.region);
  if (store == nullptr) return LogStatus::storage_failure;
  auto* statement = store->reuse(store->insert_auth_event, insert_auth_event_sql);
  if (statement == nullptr) return LogStatus::storage_failure;
  sqlite3_bind_int64(statement, 1, entry.at_ms);
  // Not bind_text: an event before any tenant is known has an empty tenant, and the column is NOT NULL.
  sqlite3_bind_text(statement, 2, entry.tenant.c_str(), -1, SQLITE_TRANSIENT);
  bind_text(statement, 3, entry.event);
  bind_text(statement, 4, entry.client_id);
  bind_text(statement, 5, entry.detail);
  bind_text(statement, 6, key_id());
  bind_blob(statement, 7, seal(entry.user, "user"));
  bind_blob(statement, 8, seal(entry.source_ip, "source_ip"));
  bind_text(statement, 9, entry.request_id);
  return step_once(statement) ? LogStatus::ok : LogStatus::storage_failure;
}

std::uint64_t OperationalLog::tool_call_commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::size_t OperationalLog::sweep() {
  std::lock_guard lock(mutex_);
  if (!config_.sweep_enabled) return 0;
  open_existing_stores();
  const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count() -
                      std::chrono::duration_cast<std::chrono::milliseconds>(config_.retention).count();
  std::size_t swept = 0;
  for (auto& [name, store] : stores_) {
    if (config_.retention_mode == RetentionMode::pseudonymise) {
      swept += pseudonymise(*store, cutoff);
    } else {
      auto statement = store->prepare("DELETE FROM records WHERE at_ms < ?");
      if (!statement) continue;
      sqlite3_bind_int64(statement.get(), 1, cutoff);
      if (sqlite3_step(statement.get()) == SQLITE_DONE) swept += static_cast<std::size_t>(sqlite3_changes(store->db));
    }
    // Fold the WAL back so the old values don't linger in the log file either.
    store->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return swept;
}

std::string OperationalLog::pseudonym(const std::string& value, const char* column) const {
  if (value.empty()) return {};
  // Per column, so a user id and an IP that happen to be equal don't share a pseudonym.
  return "pseudonym:" + hex_encode(hmac_sha256(config_.pseudonym_key, std::string(column) + '\0' + value).substr(0, 16));
}

std::size_t OperationalLog::pseudonymise(RegionStore& store, std::int64_t cutoff) {
  if (!store.exec("BEGIN IMMEDIATE")) return 0;
  auto select = store.prepare("SELECT seq, key_id, user_sealed, ip_sealed, arguments_sealed FROM records "
                              "WHERE at_ms < ? AND pseudonymised = 0");
  // The request id is dropped too: the client kept it beside the user's name.
  auto update = store.prepare("UPDATE records SET user_sealed = ?, ip_sealed = ?, arguments_sealed = ?, request_id = NULL, "
                              "key_id = ?, pseudonymised = 1 WHERE seq = ?");
  if (!select || !update) {
    store.exec("ROLLBACK");
    return 0;
  }
  sqlite3_bind_int64(select.get(), 1, cutoff);
  std::size_t changed = 0;
  bool failed = false;
  while (!failed && sqlite3_step(select.get()) == SQLITE_ROW) {
    const auto key_id = column_text(select.get(), 1);
    // A value no key opens any more can't be pseudonymised; it is dropped, which is stricter still.
    const auto replace = [&](int column, const char* name) {
      auto plain = open(column_blob(select.get(), column), key_id, name);
      return plain ? pseudonym(*plain, name) : std::string{};
    };
    sqlite3_reset(update.get());
    bind_blob(update.get(), 1, replace(2, "user"));
    bind_blob(update.get(), 2, replace(3, "source_ip"));
    bind_blob(update.get(), 3, replace(4, "arguments"));
    sqlite3_bind_text(update.get(), 4, pseudonym_key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(update.get(), 5, sqlite3_column_int64(select.get(), 0));
    failed = sqlite3_step(update.get()) != SQLITE_DONE;
    ++changed;
  }
  select.reset();
  update.reset();
  // All of a store's old records or none: a half-done sweep is redone whole next time.
  if (failed || !store.exec("COMMIT")) {
    store.exec("ROLLBACK");
    return 0;
  }
  return changed;
}

ReencryptReport OperationalLog::reencrypt() {
  std::lock_guard lock(mutex_);
  open_existing_stores();
  ReencryptReport report;
  // A store left unopened would keep its old-key records while the report
  // said none were left, and the old key might then be deleted.
  if (!unopened_.empty()) {
    report.failure = "store " + unopened_.begin()->first + ": " + unopened_.begin()->second;
    return report;
  }
  const auto& active = config_.keys.at(config_.active_key_id);
  for (auto& [name, store] : stores_) {
    if (!store->exec("BEGIN IMMEDIATE")) {
      report.failure = "store " + name + ": cannot begin a transaction";
      return report;
    }
    auto select = store->prepare("SELECT seq, key_id, user_sealed, ip_sealed, arguments_sealed FROM records "
                                 "WHERE key_id NOT IN (?, ?, ?)");
    auto update = store->prepare("UPDATE records SET user_sealed = ?, ip_sealed = ?, arguments_sealed = ?, key_id = ? WHERE seq = ?");
    if (!select || !update) {
      store->exec("ROLLBACK");
      report.failure = "store " + name + ": " + sqlite3_errmsg(store->db);
      return report;
    }
    sqlite3_bind_text(select.get(), 1, config_.active_key_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(select.get(), 2, plaintext_key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(select.get(), 3, pseudonym_key_id, -1, SQLITE_STATIC);
    std::size_t moved = 0;
    while (report.failure.empty() && sqlite3_step(select.get()) == SQLITE_ROW) {
      const auto seq = sqlite3_column_int64(select.get(), 0);
      const auto key_id = column_text(select.get(), 1);
      sqlite3_reset(update.get());
      int index = 1;
      for (const auto& [column, name_of_column] : {std::pair{2, "user"}, {3, "source_ip"}, {4, "arguments"}}) {
        auto plain = open(column_blob(select.get(), column), key_id, name_of_column);
        if (!plain) {
          report.failure = "store " + name + ", record " + std::to_string(seq) + ": key " + key_id +
                           " is not in the key ring or the record was tampered with";
          break;
        }
        bind_blob(update.get(), index++, plain->empty() ? std::string{} : active.seal(*plain, name_of_column));
      }
      if (!report.failure.empty()) break;
      bind_text(update.get(), 4, config_.active_key_id);
      sqlite3_bind_int64(update.get(), 5, seq);
      if (sqlite3_step(update.get()) != SQLITE_DONE) report.failure = "store " + name + ": " + sqlite3_errmsg(store->db);
      ++moved;
    }
    select.reset();
    update.reset();
    if (!report.failure.empty() || !store->exec("COMMIT")) {
      store->exec("ROLLBACK");
      if (report.failure.empty()) report.failure = "store " + name + ": cannot commit";
      return report;
    }
    report.records += moved;
    // Old ciphertexts leave the WAL too, not only the main file.
    store->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    auto in_use = store->prepare("SELECT DISTINCT key_id FROM records");
    while (in_use && sqlite3_step(in_use.get()) == SQLITE_ROW) report.keys_in_use.insert(column_text(in_use.get(), 0));
  }
  return report;
}

nlohmann::json OperationalLog::export_records(const std::string& region, std::int64_t since_seq) {
  std::lock_guard lock(mutex_);
  open_existing_stores();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, store] : stores_) {
    if (!region.empty() && name != region) continue;
    auto statement = store->prepare(
        "SELECT seq, kind, at_ms, tenant, request_id, tool, entity, duration_ms, outcome, event, client_id, detail, key_id, "
        "user_sealed, ip_sealed, arguments_sealed, pseudonymised FROM records WHERE seq > ? ORDER BY seq");
    if (!statement) continue;
    sqlite3_bind_int64(statement.get(), 1, since_seq);
    while (sqlite3_step(statement.get()) == SQLITE_ROW) {
      auto* row = statement.get();
      const auto key_id = column_text(row, 12);
      nlohmann::json record = {{"store", name},
                               {"seq", sqlite3_column_int64(row, 0)},
                               {"kind", column_text(row, 1)},
                               {"at_ms", sqlite3_column_int64(row, 2)},
                               {"tenant", column_text(row, 3)}};
      if (sqlite3_column_int(row, 16) != 0) record["pseudonymised"] = true;
      const auto add_text = [&](const char* field, int column) {
        if (sqlite3_column_type(row, column) != SQLITE_NULL) record[field] = column_text(row, column);
      };
      add_text("request_id", 4);
      add_text("tool", 5);
      add_text("entity", 6);
      if (sqlite3_column_type(row, 7) != SQLITE_NULL) record["duration_ms"] = sqlite3_column_int64(row, 7);
      add_text("outcome", 8);
      add_text("event", 9);
      add_text("client_id", 10);
      add_text("detail", 11);
      const auto add_sealed = [&](const char* field, int column) {
        if (sqlite3_column_type(row, column) == SQLITE_NULL) return;
        auto plain = open(column_blob(row, column), key_id, field);
        record[field] = plain ? nlohmann::json(*plain) : nlohmann::json("<unreadable: key " + key_id + " unavailable or record tampered>");
      };
      add_sealed("user", 13);
      add_sealed("source_ip", 14);
      add_sealed("arguments", 15);
      out.push_back(std::move(record));
    }
  }
  return out;
}

} // namespace mcpcert::connector
