#include "mcpcert/mock_backend/issuer_state_store.hpp"

#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "sqlite_database.hpp"

namespace mcpcert::backend {
namespace {

const char* to_column(ClientType type) { return type == ClientType::confidential ? "confidential" : "public"; }
const char* to_column(ApplicationType type) { return type == ApplicationType::native ? "native" : "web"; }

// A row this backend can't read back (edited by hand, or a later format) stops
// the start rather than silently losing a client or a key.
[[noreturn]] void unreadable(const std::string& what) { throw StorageError("state database: unreadable " + what); }

nlohmann::json parse_column(const std::string& text, const std::string& what) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) unreadable(what);
  return value;
}

} // namespace

IssuerStateStore::IssuerStateStore(std::shared_ptr<SqliteDatabase> database)
    : database_(database), lockouts_(std::move(database), LockoutKeeper::issuer) {}

std::vector<StoredSigningKey> IssuerStateStore::signing_keys() const {
  SqliteSession session(*database_);
  auto query = session.statement(
      "SELECT kid, private_jwk, created_at, published_until FROM signing_keys ORDER BY created_at, rowid");
  std::vector<StoredSigningKey> out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      auto kid = query.text(0);
      out.push_back({kid, parse_column(query.text(1), "signing key " + kid), query.time(2), query.optional_time(3)});
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error: throw StorageError("state database: cannot read the signing keys");
    }
  }
}

StoreStatus IssuerStateStore::add_signing_key(const StoredSigningKey& key, const std::optional<RetiredKey>& retired) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  if (retired && !session.statement("UPDATE signing_keys SET published_until = ? WHERE kid = ?")
                      .bind(retired->until)
                      .bind(retired->kid)
                      .run())
    return StoreStatus::failed;
  bool ok = session
                .statement("INSERT INTO signing_keys (kid, private_jwk, created_at, published_until) VALUES (?, ?, ?, ?)")
                .bind(key.kid)
                .bind(key.private_jwk.dump())
                .bind(key.created_at)
                .bind(key.published_until)
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::vector<OAuthClient> IssuerStateStore::clients() const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT client_id, name, type, application_type, redirect_uris, grant_types, "
                                 "secret_sha256 FROM clients ORDER BY rowid");
  std::vector<OAuthClient> out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      OAuthClient client;
      client.id = query.text(0);
      client.name = query.text(1);
      auto type = query.text(2);
      auto application_type = query.text(3);
      if ((type != "public" && type != "confidential") || (application_type != "web" && application_type != "native"))
        unreadable("client " + client.id);
      client.type = type == "confidential" ? ClientType::confidential : ClientType::public_client;
      client.application_type = application_type == "native" ? ApplicationType::native : ApplicationType::web;
      auto redirect_uris = parse_column(query.text(4), "client " + client.id);
      auto grant_types = parse_column(query.text(5), "client " + client.id);
      auto digest = base64url_decode(query.text(6));
      if (!redirect_uris.is_array() || !grant_types.is_array() || !digest) unreadable("client " + client.id);
      for (const auto& uri : redirect_uris) {
        if (!uri.is_string()) unreadable("client " + client.id);
        client.redirect_uris.push_back(uri.get<std::string>());
      }
      for (const auto& grant_type : grant_types) {
        if (!grant_type.is_string()) unreadable("client " + client.id);
        client.grant_types.insert(grant_type.get<std::string>());
      }
      client.secret_hash = std::move(*digest);
      if ((client.type == ClientType::confidential) == client.secret_hash.empty()) unreadable("client " + client.id);
      out.push_back(std::move(client));
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error: throw StorageError("state database: cannot read the registered clients");
    }
  }
}

StoreStatus IssuerStateStore::save_client(const OAuthClient& client, TimePoint registered_at) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  nlohmann::json grant_types(client.grant_types);
  bool ok = session
                .statement("INSERT OR REPLACE INTO clients (client_id, name, type, application_type, redirect_uris, "
                           "grant_types, secret_sha256, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(client.id)
                .bind(client.name)
                .bind(std::string_view(to_column(client.type)))
                .bind(std::string_view(to_column(client.application_type)))
                .bind(nlohmann::json(client.redirect_uris).dump())
                .bind(grant_types.dump())
                .bind(base64url_encode(client.secret_hash))
                .bind(registered_at)
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::map<std::string, std::uint64_t, std::less<>> IssuerStateStore::spent_totp_steps() const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT user_id, step FROM spent_totp_steps");
  std::map<std::string, std::uint64_t, std::less<>> out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      const auto step = query.integer(1);
      if (step < 0) unreadable("one-time code step of user " + query.text(0));
      out[query.text(0)] = static_cast<std::uint64_t>(step);
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error: throw StorageError("state database: cannot read the spent one-time code steps");
    }
  }
}

StoreStatus IssuerStateStore::spend_totp_step(std::string_view user, std::uint64_t step) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session.statement("INSERT OR REPLACE INTO spent_totp_steps (user_id, step) VALUES (?, ?)")
                .bind(user)
                .bind(static_cast<std::int64_t>(step))
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::map<std::string, StoredBrowserSession, std::less<>> IssuerStateStore::browser_sessions() const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT digest, user_id, expires_at FROM browser_sessions");
  std::map<std::string, StoredBrowserSession, std::less<>> out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      auto digest = query.text(0);
      auto user = query.text(1);
      if (digest.size() != 64 || user.empty()) unreadable("browser session of user " + user);
      out[std::move(digest)] = {std::move(user), query.time(2)};
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error: throw StorageError("state database: cannot read the browser sessions");
    }
  }
}

StoreStatus IssuerStateStore::save_browser_session(std::string_view digest, const StoredBrowserSession& stored) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session.statement("INSERT OR REPLACE INTO browser_sessions (digest, user_id, expires_at) VALUES (?, ?, ?)")
                .bind(digest)
                .bind(stored.user)
                .bind(stored.expires_at)
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

StoreStatus IssuerStateStore::end_browser_session(std::string_view digest) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session.statement("DELETE FROM browser_sessions WHERE digest = ?").bind(digest).run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

StoreStatus IssuerStateStore::end_browser_sessions_of(std::string_view user) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session.statement("DELETE FROM browser_sessions WHERE user_id = ?").bind(user).run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

StoreStatus IssuerStateStore::drop_browser_sessions_expired_before(TimePoint moment) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session.statement("DELETE FROM browser_sessions WHERE expires_at < ?").bind(moment).run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

} // namespace mcpcert::backend
