#include "mcpcert/mock_backend/auth_event_log.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include "http_replies.hpp"
#include "sqlite_database.hpp"

namespace mcpcert::backend {
namespace {

constexpr std::array<std::pair<AuthEventKind, std::string_view>, 11> kind_names = {{
    {AuthEventKind::sign_in, "sign_in"},
    {AuthEventKind::sign_in_failure, "sign_in_failure"},
    {AuthEventKind::consent, "consent"},
    {AuthEventKind::token_issue, "token_issue"},
    {AuthEventKind::refresh, "refresh"},
    {AuthEventKind::reuse_detected, "reuse_detected"},
    {AuthEventKind::revocation, "revocation"},
    {AuthEventKind::token_exchange_refused, "token_exchange_refused"},
    {AuthEventKind::token_error, "token_error"},
    {AuthEventKind::sign_out, "sign_out"},
    {AuthEventKind::expiry, "expiry"},
}};

} // namespace

const char* to_string(AuthEventKind kind) {
  for (const auto& [value, name] : kind_names)
    if (value == kind) return name.data();
  return "token_error";
}

std::optional<AuthEventKind> parse_auth_event_kind(std::string_view text) {
  for (const auto& [value, name] : kind_names)
    if (name == text) return value;
  return std::nullopt;
}

nlohmann::json to_json(const AuthEvent& event) {
  return {{"seq", event.seq},       {"time", format_rfc3339(event.time)}, {"tenant", event.tenant},
          {"user", event.user},     {"client", event.client},             {"event", to_string(event.kind)},
          {"detail", event.detail}};
}

AuthEventLog::AuthEventLog(std::shared_ptr<SqliteDatabase> database, std::string tenant, const Clock& clock)
    : database_(std::move(database)), tenant_(std::move(tenant)), clock_(clock) {}

std::uint64_t AuthEventLog::append(AuthEventKind kind, std::string_view user, std::string_view client,
                                   std::string_view detail) {
  SqliteSession session(*database_);
  if (!session.begin()) return 0;
  auto insert = session.statement("INSERT INTO auth_events (time, tenant, user_id, client_id, event, detail) "
                                  "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq");
  insert.bind(clock_.now()).bind(tenant_).bind(user).bind(client).bind(std::string_view(to_string(kind))).bind(detail);
  if (insert.step() != SqliteStatement::Step::row) return 0;
  auto seq = static_cast<std::uint64_t>(insert.integer(0));
  if (!insert.run()) return 0;
  return session.commit() ? seq : 0;
}

std::vector<AuthEvent> AuthEventLog::since(std::uint64_t since_seq, std::size_t limit) const {
  if (since_seq >= static_cast<std::uint64_t>(INT64_MAX) || limit == 0) return {};
  SqliteSession session(*database_);
  auto query = session.statement("SELECT seq, time, tenant, user_id, client_id, event, detail FROM auth_events "
                                 "WHERE seq > ? ORDER BY seq LIMIT ?");
  query.bind(static_cast<std::int64_t>(since_seq)).bind(static_cast<std::int64_t>(limit));
  std::vector<AuthEvent> out;
  while (query.step() == SqliteStatement::Step::row) {
    auto kind = parse_auth_event_kind(query.text(5));
    if (!kind) continue; // written by a newer backend: not ours to interpret
    out.push_back({static_cast<std::uint64_t>(query.integer(0)), query.time(1), query.text(2), query.text(3),
                   query.text(4), *kind, query.text(6)});
  }
  return out;
}

} // namespace mcpcert::backend
