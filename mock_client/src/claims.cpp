#include "mcpcert/mock_client/claims.hpp"

#include <algorithm>

namespace mcpcert::client {

const char* to_string(Verdict verdict) {
  switch (verdict) {
  case Verdict::passed: return "PASSED";
  case Verdict::failed: return "FAILED";
  case Verdict::warning: return "WARNING";
  case Verdict::skipped: return "SKIPPED";
  case Verdict::review: return "REVIEW";
  }
  return "UNKNOWN";
}

const std::vector<ClaimInfo>& claim_catalogue() {
  static const std::vector<ClaimInfo> catalogue{
      {"AUTHZ-EQUIV", "no access beyond what the user has in the UI", true},
      {"AUTHZ-LIST", "listing applications equals what the user may see", true},
      {"AUTHZ-NOCACHE", "permissions are checked per call, no result cached across users", true},
      {"AUTHZ-WRITE", "writes only where the user may edit", true},
      {"AUTHZ-EXPOSED", "only tools the application author exposed can run", true},
      {"AUTHZ-ENTITY", "every call bounded by the entity selected in the session", true},
      {"NO-SERVICE-ACCOUNT", "every upstream call is made on behalf of the user", true},
      {"NO-PASSTHROUGH", "the client's token is never passed upstream", true},
      {"TOOLSET", "the connector exposes exactly the promised tools", true},
      {"AUTH-CODE-PKCE", "OAuth 2.1 authorization code with PKCE only", true},
      {"MCP-ACCESS", "no session without the per-entity MCP Access permission", true},
      {"CONSENT", "explicit consent, recorded as a grant", true},
      {"ACCESS-TTL", "access tokens expire after the promised lifetime", true},
      {"REFRESH-TTL", "refresh tokens expire after the promised lifetime", true},
      {"REFRESH-ROTATE", "refresh tokens are rotated and single-use", true},
      {"REVOKE-CLIENT", "disconnecting from the AI client revokes access", true},
      {"REVOKE-ADMIN", "an admin's removal of MCP Access takes effect on the next tool call", true},
      {"REVOKE-ROTATE-CREDS", "credential rotation revokes every grant of the user", true},
      {"TOKEN-SCOPE", "tokens are scoped to one user and one tenant", true},
      {"SESSION-BIND", "an MCP session belongs to the user who opened it", true},
      {"REGION-PIN", "no data moves between regions", true},
      {"REGION-USER-AWAY", "a user elsewhere is still served by the tenant's region only", true},
      {"NO-COPY", "application data is not duplicated by the connector", true},
      {"NO-CONVERSATION", "prompts and responses never reach the backend", true},
      {"LOG-COMPLETE", "every tool call and auth event is logged", true},
      {"LOG-FIELDS", "logs hold only the promised fields", true},
      {"LOG-RETENTION", "operational logs are kept no longer than promised", true},
      {"LOG-DURABLE", "logs within retention are not lost", true},
      {"TLS-MIN", "TLS 1.2 or newer in transit", true},
      {"AT-REST", "stored tokens and logs are encrypted at rest", true},
      {"NO-TRAINING", "application data is not used to train models", false},
      {"SPECIAL-DATA", "no special categories of personal data are collected", false},
      {"SUBPROCESSORS", "subprocessors are bound by equivalent obligations", false},
      {"MCP-AUTH-RS", "the connector is a correct OAuth resource server", true},
      {"MCP-TRANSPORT", "Streamable HTTP as specified for each claimed revision", true},
  };
  return catalogue;
}

const ClaimInfo* find_claim(std::string_view id) {
  const auto& catalogue = claim_catalogue();
  auto it = std::find_if(catalogue.begin(), catalogue.end(), [&](const ClaimInfo& claim) { return claim.id == id; });
  return it == catalogue.end() ? nullptr : &*it;
}

} // namespace mcpcert::client
