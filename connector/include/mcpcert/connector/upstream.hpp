#pragma once
/// Calls to the tenant on the user's behalf: an RFC 8693 token exchange at
/// the tenant's issuer (so upstream sees the user as subject and the connector
/// as actor), then the tenant's REST API with the exchanged token. Calls go
/// only to the route of the token's issuer: there is no fallback region.

#include <map>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/http_client.hpp"

namespace mcpcert::connector {

enum class UpstreamStatus {
  ok,
  permission_denied, ///< the issuer refused the exchange (e.g. MCP Access removed) or the API said 403
  not_found,
  rejected,          ///< the API refused the request as malformed or conflicting (400, 409, 422)
  unavailable,       ///< connection failure, timeout, 5xx or a malformed reply
};

struct UpstreamReply {
  UpstreamStatus status = UpstreamStatus::unavailable;
  nlohmann::json body;  ///< the API's JSON on success
  std::string detail;   ///< why, on failure (safe to show to the client)
  unsigned http_status = 0; ///< the API's status on success (200, 201, 202)
  /// The API's JSON as it was sent, on success: a tool that passes `body` on
  /// unchanged can show it as its text without serialising it again.
  std::string body_text{};
};

class TenantGateway {
public:
  TenantGateway(const ConnectorConfig& config, const Clock& clock);

  /// GET `path` on the identity's tenant API, with a token exchanged for this user.
  boost::asio::awaitable<UpstreamReply> get(const AccessIdentity& identity, std::string path);
  /// Any method; `body` (when not null) is sent as JSON.
  boost::asio::awaitable<UpstreamReply> send(const AccessIdentity& identity, boost::beast::http::verb method,
                                             std::string path, const nlohmann::json& body = nullptr);
  /// Only the write-token-per-app mutant calls this: a write with the token
  /// last exchanged for anyone's write on `app`.
  boost::asio::awaitable<UpstreamReply> send_as_app_writer(const AccessIdentity& identity, const std::string& app,
                                                           boost::beast::http::verb method, std::string path,
                                                           const nlohmann::json& body);

private:
  struct ExchangedToken {
    std::string token;
    std::int64_t expires_at = 0;
  };
  boost::asio::awaitable<UpstreamReply> exchange(const AccessIdentity& identity, std::string& token_out);
  boost::asio::awaitable<UpstreamReply> call_api(const AccessIdentity& identity, const std::string& upstream_token,
                                                 boost::beast::http::verb method, std::string path,
                                                 const nlohmann::json& body);

  const ConnectorConfig& config_;
  const Clock& clock_;
  /// The connector's own client credentials as an HTTP Basic value, built once.
  std::string client_authorization_;
  /// Each route's token endpoint, parsed once.
  std::map<const TenantRoute*, http::Url> token_endpoints_;
  /// Keep-alive connections to the issuers and tenant APIs: every tool call
  /// makes two upstream calls, and a new TCP connection for each would cost
  /// more than the calls themselves on loopback.
  http::ConnectionPool upstream_;
  /// Only the permission_cache mutant fills this: the reference keeps no exchanged token.
  std::map<std::string, ExchangedToken, std::less<>> mutant_cache_;
  /// shared-upstream-token mutant: one exchanged token per tenant, whoever asks.
  std::map<std::string, ExchangedToken, std::less<>> mutant_tenant_token_;
  /// write-token-per-app mutant: the last writer's exchanged token per application.
  std::map<std::string, ExchangedToken, std::less<>> mutant_app_writer_;
};

} // namespace mcpcert::connector
