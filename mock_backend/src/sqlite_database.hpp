#pragma once
// Private to mcpcert_backend: one SQLite connection per tenant, and the lock
// that gives each unit of work (usually one transaction) the connection alone.
// Failures are values: a statement that fails makes its session fail, and the
// caller answers with an error instead of a response it could not make durable.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

class SqliteDatabase {
public:
  /// Opens or creates `file` (WAL, synchronous=FULL: a commit is on disk when
  /// it returns); empty `file` gives a private in-memory database. Creates the
  /// schema. Throws StorageError: this happens at start-up only.
  static std::shared_ptr<SqliteDatabase> open(const std::filesystem::path& file);

  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

private:
  explicit SqliteDatabase(sqlite3* connection);
  sqlite3_stmt* prepared(std::string_view sql);
  /// To stderr with SQLite's own message; the caller turns the failure into a value.
  void report(std::string_view what) const;

  std::mutex mutex_;
  sqlite3* connection_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;

  friend class SqliteSession;
  friend class SqliteStatement;
};

/// A prepared statement borrowed from the session's cache; reset when it goes.
/// Parameters bind in order; columns are read by index.
class SqliteStatement {
public:
  enum class Step { row, done, error };

  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  SqliteStatement& bind(std::string_view text);
  SqliteStatement& bind(std::int64_t value);
  SqliteStatement& bind(TimePoint time);
  SqliteStatement& bind(std::optional<TimePoint> time);

  Step step();
  /// Steps to the end; false when a step failed (or the statement never prepared).
  bool run();

  std::string text(int column) const;
  std::int64_t integer(int column) const;
  TimePoint time(int column) const;
  std::optional<TimePoint> optional_time(int column) const;

private:
  friend class SqliteSession;
  SqliteStatement(SqliteDatabase& database, sqlite3_stmt* statement);
  void note_bind(int rc);

  SqliteDatabase* database_;
  sqlite3_stmt* statement_;
  int next_parameter_ = 1;
  bool bind_failed_ = false;
};

/// Exclusive use of the connection: a transaction when begun, rolled back at
/// the end unless committed.
class SqliteSession {
public:
  explicit SqliteSession(SqliteDatabase& database);
  ~SqliteSession();
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  /// BEGIN IMMEDIATE: takes the write lock now, so the transaction never has
  /// to upgrade (and fail) halfway.
  bool begin();
  bool commit();

  SqliteStatement statement(std::string_view sql);
  /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int changes() const;

private:
  bool execute(const char* sql);

  SqliteDatabase& database_;
  std::unique_lock<std::mutex> lock_;
  bool in_transaction_ = false;
};

} // namespace mcpcert::backend
