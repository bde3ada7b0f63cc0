#pragma once
// A fresh directory per test for state databases, removed afterwards, and
// a way to change a database behind the backend's back.

#include <filesystem>
#include <string>

#include <sqlite3.h>
#include <unistd.h>

namespace mcpcert::backend::test_world {

class StateDirectory {
public:
  StateDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-state-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~StateDirectory() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  StateDirectory(const StateDirectory&) = delete;
  StateDirectory& operator=(const StateDirectory&) = delete;
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

/// Runs `sql` on `file` through a connection of its own, as a hand edit, an
/// older or newer backend, or a trigger standing in for a failing disk would.
inline bool edit_state_file(const std::filesystem::path& file, const char* sql) {
  sqlite3* connection = nullptr;
  bool ok = sqlite3_open(file.c_str(), &connection) == SQLITE_OK &&
            sqlite3_exec(connection, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(connection);
  return ok;
}

/// From now on `file` refuses every insert into `table`, as a full or
/// failing disk would.
inline bool refuse_inserts_into(const std::filesystem::path& file, const std::string& table) {
  const auto trigger = "CREATE TRIGGER refuse_" + table + " BEFORE INSERT ON " + table +
                       " BEGIN SELECT RAISE(ABORT, 'disk'); END;";
  return edit_state_file(file, trigger.c_str());
}

/// As refuse_inserts_into, for deletes: a store that can't end what it keeps.
inline bool refuse_deletes_from(const std::filesystem::path& file, const std::string& table) {
  const auto trigger = "CREATE TRIGGER refuse_delete_" + table + " BEFORE DELETE ON " + table +
                       " BEGIN SELECT RAISE(ABORT, 'disk'); END;";
  return edit_state_file(file, trigger.c_str());
}

} // namespace mcpcert::backend::test_world
