#include "sqlite_database.hpp"

#include <iostream>

#include "mcpcert/mock_backend/tenant_storage.hpp"

namespace mcpcert::backend {
namespace {

constexpr int schema_version = 7;

// Times are nanoseconds since the epoch: the clock's own resolution, so a
// value read back compares exactly with the one written.
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  entity TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS grants_by_user ON grants(user_id);

CREATE TABLE IF NOT EXISTS authorization_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants(id),
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  user_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  redeemed INTEGER NOT NULL DEFAULT 0
);

-- A grant's refresh tokens are its family: reuse of one revokes the grant.
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants(id),
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  used_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_grant ON refresh_tokens(grant_id);

CREATE TABLE IF NOT EXISTS access_tokens (
  jti TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants(id),
  client_id TEXT NOT NULL,
  parent_jti TEXT NOT NULL DEFAULT '',
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS access_tokens_by_grant ON access_tokens(grant_id);
CREATE INDEX IF NOT EXISTS access_tokens_by_parent ON access_tokens(parent_jti);

-- Version 3: what the issuer needs to survive a restart besides grants. A
-- key's private JWK stays here only: the file is the mock issuer's key store.
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY,
  private_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  published_until INTEGER
);

-- Clients registered at run time; secret_sha256 is the base64url SHA-256
-- digest of a confidential client's secret ('' for public clients).
CREATE TABLE IF NOT EXISTS clients (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  application_type TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS user_standings (
  user_id TEXT PRIMARY KEY,
  standing TEXT NOT NULL,
  changed_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS spent_totp_steps (
  user_id TEXT PRIMARY KEY,
  step INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS failed_sign_ins (
  account TEXT PRIMARY KEY,
  consecutive_failures INTEGER NOT NULL,
  last_failure INTEGER NOT NULL,
  locked_until INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS browser_sessions (
  digest TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS identity_provider_failed_sign_ins (
  account TEXT PRIMARY KEY,
  consecutive_failures INTEGER NOT NULL,
  last_failure INTEGER NOT NULL,
  locked_until INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS auth_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  event TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

std::int64_t to_column(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

TimePoint from_column(std::int64_t value) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(value)));
}

[[noreturn]] void refuse(sqlite3* connection, const std::string& what) {
  std::string message = what + ": " + (connection ? sqlite3_errmsg(connection) : "out of memory");
  sqlite3_close(connection);
  throw StorageError(message);
}

void execute_or_refuse(sqlite3* connection, const std::string& what, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(connection, sql, nullptr, nullptr, &error) == SQLITE_OK) return;
  std::string message = what + ": " + (error ? error : "unknown error");
  sqlite3_free(error);
  sqlite3_close(connection);
  throw StorageError(message);
}

int read_user_version(sqlite3* connection) {
  sqlite3_stmt* statement = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(connection, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    version = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  return version;
}

} // namespace

std::shared_ptr<SqliteDatabase> SqliteDatabase::open(const std::filesystem::path& file) {
  const bool in_memory = file.empty();
  const std::string name = in_memory ? ":memory:" : file.string();
  const std::string what = in_memory ? "in-memory state database" : "state database " + name;
  sqlite3* connection = nullptr;
  // No SQLite mutex: the session lock already gives one thread the connection at a time.
  if (sqlite3_open_v2(name.c_str(), &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    refuse(connection, "cannot open " + what);
  sqlite3_extended_result_codes(connection, 1);

  if (!in_memory) {
    // WAL with synchronous=FULL syncs the log at every commit, so a response
    // is only sent for writes that survive a crash or power loss.
    sqlite3_stmt* statement = nullptr;
    std::string mode;
    if (sqlite3_prepare_v2(connection, "PRAGMA journal_mode=WAL", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    if (mode != "wal") refuse(connection, "cannot switch " + what + " to WAL");
  }
  execute_or_refuse(connection, what, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");

  int version = read_user_version(connection);
  if (version > schema_version)
    refuse(connection, what + " has schema version " + std::to_string(version) + ", newer than this backend's " +
                           std::to_string(schema_version));
  execute_or_refuse(connection, what, "BEGIN IMMEDIATE");
  execute_or_refuse(connection, what, schema);
  // Version 2 records when a refresh token was rotated (the refresh grace
  // window); versions 3 to 7 only add tables, which the schema creates if missing.
  if (version == 1) execute_or_refuse(connection, what, "ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER");
  execute_or_refuse(connection, what, ("PRAGMA user_version=" + std::to_string(schema_version)).c_str());
  execute_or_refuse(connection, what, "COMMIT");
  return std::shared_ptr<SqliteDatabase>(new SqliteDatabase(connection));
}

SqliteDatabase::SqliteDatabase(sqlite3* connection) : connection_(connection) {}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(connection_);
}

sqlite3_stmt* SqliteDatabase::prepared(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(connection_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) != SQLITE_OK) {
    report("prepare");
    sqlite3_finalize(statement);
    return nullptr;
  }
  statements_.emplace(std::string(sql), statement);
  return statement;
}

void SqliteDatabase::report(std::string_view what) const {
  std::cerr << "mcpcert-backend: state database: " << what << " failed: " << sqlite3_errmsg(connection_) << '\n';
}

// --- SqliteStatement -----------------------------------------------------------

SqliteStatement::SqliteStatement(SqliteDatabase& database, sqlite3_stmt* statement)
    : database_(&database), statement_(statement) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : database_(other.database_),
      statement_(other.statement_),
      next_parameter_(other.next_parameter_),
      bind_failed_(other.bind_failed_) {
  other.statement_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (!statement_) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

void SqliteStatement::note_bind(int rc) {
  if (rc != SQLITE_OK) bind_failed_ = true;
  ++next_parameter_;
}

SqliteStatement& SqliteStatement::bind(std::string_view text) {
  // A default string_view has no data pointer, which SQLite would bind as NULL.
  if (statement_)
    note_bind(sqlite3_bind_text(statement_, next_parameter_, text.empty() ? "" : text.data(),
                                static_cast<int>(text.size()), SQLITE_TRANSIENT));
  return *this;
}

SqliteStatement& SqliteStatement::bind(std::int64_t value) {
  if (statement_) note_bind(sqlite3_bind_int64(statement_, next_parameter_, value));
  return *this;
}

SqliteStatement& SqliteStatement::bind(TimePoint time) { return bind(to_column(time)); }

SqliteStatement& SqliteStatement::bind(std::optional<TimePoint> time) {
  if (time) return bind(*time);
  if (statement_) note_bind(sqlite3_bind_null(statement_, next_parameter_));
  return *this;
}

SqliteStatement::Step SqliteStatement::step() {
  if (!statement_ || bind_failed_) return Step::error;
  switch (sqlite3_step(statement_)) {
  case SQLITE_ROW: return Step::row;
  case SQLITE_DONE: return Step::done;
  default: database_->report("statement"); return Step::error;
  }
}

bool SqliteStatement::run() {
  for (;;) {
    switch (step()) {
    case Step::row: continue;
    case Step::done: return true;
    case Step::error: return false;
    }
  }
}

std::string SqliteStatement::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  if (!bytes) return {};
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::int64_t SqliteStatement::integer(int column) const { return sqlite3_column_int64(statement_, column); }

TimePoint SqliteStatement::time(int column) const { return from_column(integer(column)); }

std::optional<TimePoint> SqliteStatement::optional_time(int column) const {
  if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return std::nullopt;
  return time(column);
}

// --- SqliteSession ---------------------------------------------------------------

SqliteSession::SqliteSession(SqliteDatabase& database) : database_(database), lock_(database.mutex_) {}

SqliteSession::~SqliteSession() {
  if (in_transaction_) execute("ROLLBACK");
}

bool SqliteSession::execute(const char* sql) {
  if (sqlite3_exec(database_.connection_, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return true;
  database_.report(sql);
  return false;
}

bool SqliteSession::begin() {
  in_transaction_ = execute("BEGIN IMMEDIATE");
  return in_transaction_;
}

bool SqliteSession::commit() {
  if (!in_transaction_) return false;
  if (!execute("COMMIT")) return false; // the destructor rolls back
  in_transaction_ = false;
  return true;
}

SqliteStatement SqliteSession::statement(std::string_view sql) {
  return SqliteStatement(database_, database_.prepared(sql));
}

int SqliteSession::changes() const { return sqlite3_changes(database_.connection_); }

} // namespace mcpcert::backend
