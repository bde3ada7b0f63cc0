#include "mcpcert/mock_backend/directory_state_store.hpp"

#include <nlohmann/json.hpp>

#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "sqlite_database.hpp"

namespace mcpcert::backend {
namespace {

// A row this backend can't read back (edited by hand, or a later format)
// stops the start rather than silently giving a user back what an
// administrator took away.
[[noreturn]] void unreadable(const std::string& user) {
  throw StorageError("state database: unreadable standing of user " + user);
}

UserStanding parse_standing(const std::string& user, const std::string& text) {
  const auto value = nlohmann::json::parse(text, nullptr, false);
  if (!value.is_object() || !value.contains("suspended") || !value["suspended"].is_boolean() || !value.contains("roles") ||
      !value["roles"].is_array() || !value.contains("department") || !value["department"].is_string() ||
      !value.contains("teams") || !value["teams"].is_array())
    unreadable(user);
  UserStanding standing;
  standing.suspended = value["suspended"].get<bool>();
  standing.department = value["department"].get<std::string>();
  for (const auto& role : value["roles"]) {
    if (!role.is_object() || !role.contains("entity") || !role["entity"].is_string() || !role.contains("role") ||
        !role["role"].is_string() || !role.contains("mcp_access") || !role["mcp_access"].is_boolean())
      unreadable(user);
    standing.roles.push_back({role["entity"].get<std::string>(), role["role"].get<std::string>(), role["mcp_access"].get<bool>()});
  }
  for (const auto& team : value["teams"]) {
    if (!team.is_string()) unreadable(user);
    standing.teams.push_back(team.get<std::string>());
  }
  return standing;
}

std::string standing_column(const UserStanding& standing) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& role : standing.roles)
    roles.push_back({{"entity", role.entity}, {"role", role.role}, {"mcp_access", role.mcp_access}});
  return nlohmann::json{{"suspended", standing.suspended}, {"roles", roles}, {"department", standing.department}, {"teams", standing.teams}}
      .dump();
}

} // namespace

DirectoryStateStore::DirectoryStateStore(std::shared_ptr<SqliteDatabase> database) : database_(std::move(database)) {}

std::vector<std::pair<std::string, UserStanding>> DirectoryStateStore::standings() const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT user_id, standing FROM user_standings ORDER BY rowid");
  std::vector<std::pair<std::string, UserStanding>> out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      auto user = query.text(0);
      auto standing = parse_standing(user, query.text(1));
      out.emplace_back(std::move(user), std::move(standing));
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error: throw StorageError("state database: cannot read the users' standings");
    }
  }
}

StoreStatus DirectoryStateStore::save(const std::string& user, const UserStanding& standing, TimePoint changed_at) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  // An upsert keeps the row (and its rowid, the order of first saving).
  bool ok = session
                .statement("INSERT INTO user_standings (user_id, standing, changed_at) VALUES (?, ?, ?) "
                           "ON CONFLICT(user_id) DO UPDATE SET standing = excluded.standing, changed_at = excluded.changed_at")
                .bind(user)
                .bind(standing_column(standing))
                .bind(changed_at)
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

} // namespace mcpcert::backend
