#pragma once
/// The tenant's authentication event log: sign-ins, sign-outs, consent, token
/// issue, refresh, reuse, revocation, expiry and every token endpoint error, in the tenant's
/// SQLite database, so the harness can check what the issuer saw (LOG-COMPLETE).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

enum class AuthEventKind {
  sign_in,
  sign_in_failure,
  consent,                ///< detail says approved or denied
  token_issue,            ///< tokens from an authorization code or a token exchange
  refresh,
  reuse_detected,         ///< a redeemed code or rotated refresh token came back
  revocation,             ///< a grant or an access token revoked, and why
  token_exchange_refused,
  token_error,            ///< every error answer of /token, with its error code
  sign_out,               ///< a browser sign-in session ended at the sign-out endpoint
  expiry,                 ///< an expired authorization code, refresh token or browser session was presented
};

const char* to_string(AuthEventKind kind);
std::optional<AuthEventKind> parse_auth_event_kind(std::string_view text);

struct AuthEvent {
  std::uint64_t seq = 0; ///< assigned by the log, increasing per tenant
  TimePoint time;
  std::string tenant;
  std::string user;   ///< empty when the request named no known user
  std::string client; ///< empty when no client was established
  AuthEventKind kind = AuthEventKind::token_error;
  std::string detail;
};

nlohmann::json to_json(const AuthEvent& event);

class SqliteDatabase;

/// Thread-safe; each event is durable when append returns.
class AuthEventLog {
public:
  AuthEventLog(std::shared_ptr<SqliteDatabase> database, std::string tenant, const Clock& clock);

  /// Stamps time and tenant; returns the seq, or 0 when the database refused.
  std::uint64_t append(AuthEventKind kind, std::string_view user, std::string_view client, std::string_view detail);
  /// Events with seq > since_seq, oldest first, at most `limit`.
  std::vector<AuthEvent> since(std::uint64_t since_seq, std::size_t limit) const;

private:
  std::shared_ptr<SqliteDatabase> database_;
  std::string tenant_;
  const Clock& clock_;
};

} // namespace mcpcert::backend
