// mcpcert-interop: the harness's side of the interoperability tests.
//
//   mcpcert-interop world            start one world, print it as one JSON line (URLs, certificate,
//                                    users, and an access token of our scripted client), then keep
//                                    it up until stdin closes or SIGTERM
//   mcpcert-interop auth-client [--client-metadata-url URL] MCP_URL
//                                    the client under test of the official conformance client
//                                    scenarios: initialize, tools/list and a tools/call against
//                                    MCP_URL, authorizing whenever the server challenges; URL is
//                                    the client's Client ID Metadata Document
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace {

using nlohmann::json;
using namespace mcpcert::client;

// The world's pre-registered public client (a loopback redirect, RFC 8252).
constexpr const char* world_client_id = "mcpcert-scripted-client";
constexpr const char* loopback_redirect_uri = "http://127.0.0.1:47011/callback";

int usage() {
  std::cerr << "usage: mcpcert-interop world | auth-client [--client-metadata-url URL] MCP_URL\n";
  return 2;
}

// Blocks until stdin reaches end of file (the parent went away) or SIGTERM/SIGINT.
void wait_for_parent() {
  // No SA_RESTART: a signal ends the read below with EINTR.
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  char buffer[256];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
}

int run_world() {
  std::string error;
  auto world = World::start(WorldOptions{}, error);
  if (!world) {
    std::cerr << "mcpcert-interop: the world could not start: " << error << "\n";
    return 1;
  }
  Transcript transcript;
  HttpAgent agent(transcript, world->trusted_certificate_file());
  json out = {{"mcp_url", world->mcp_url()},
              {"certificate_file", world->trusted_certificate_file()},
              {"control_url", world->control_url()},
              {"control_secret", world->control_secret()},
              {"tenants", json::object()}};
  // The token is of the first user with MCP Access of the EMEA tenant (the one
  // the Node scripts use too).
  const std::string token_tenant = "emea-finance";
  std::optional<UserCredentials> token_user;
  std::string token_issuer;
  for (const auto& [id, tenant] : world->tenants()) {
    json users = json::array();
    for (const auto& user : world->users(id)) {
      bool mcp_access = false;
      for (const auto& role : user.roles) mcp_access = mcp_access || role.value("mcp_access", false);
      json entry = {{"username", user.username}, {"password", user.password}, {"mcp_access", mcp_access}};
      // A user without a password here signs in only at the tenant's identity provider.
      if (user.password.empty() && !user.sso_subject.empty()) {
        entry["sso_username"] = user.sso_subject;
        entry["sso_password"] = user.sso_password;
      }
      users.push_back(std::move(entry));
      if (mcp_access && !token_user && id == token_tenant) {
        token_user = UserCredentials{user.username, user.password};
        token_issuer = tenant.issuer;
      }
    }
    out["tenants"][id] = {{"region", tenant.region}, {"issuer", tenant.issuer}, {"api", tenant.api}, {"users", users}};
    if (auto own = world->tenant_mcp_url(id); !own.empty()) out["tenants"][id]["mcp_url"] = own;
  }
  if (!token_user) {
    std::cerr << "mcpcert-interop: no user of " << token_tenant << " has MCP Access\n";
    return 1;
  }
  OAuthClient oauth(agent, {world_client_id, loopback_redirect_uri});
  auto outcome = oauth.authorize(world->mcp_url(), token_issuer, *token_user, "finance:read");
  if (!outcome.tokens) {
    std::cerr << "mcpcert-interop: our client could not get a token at step " << outcome.failed_step << ": " << outcome.failure << "\n";
    return 1;
  }
  out["access_token"] = outcome.tokens->access_token;
  out["token_user"] = token_user->username;
  out["token_tenant"] = token_tenant;
  std::cout << out.dump() << std::endl;
  wait_for_parent();
  return 0;
}

// The client under test of the official conformance client scenarios, as an
// MCP client would be configured: a pre-registered client when the scenario
// hands one over (MCP_CONFORMANCE_CONTEXT), its Client ID Metadata Document
// URL, dynamic registration otherwise; challenges (401, 403
// insufficient_scope) are answered as they come, on any request.
int run_auth_client(const std::string& mcp_url, const std::string& metadata_document_url) {
  Transcript transcript;
  HttpAgent agent(transcript);
  const char* version_env = std::getenv("MCP_CONFORMANCE_PROTOCOL_VERSION");
  const std::string protocol_version = version_env != nullptr && *version_env != '\0' ? version_env : "2025-11-25";

  ClientProfile profile{loopback_redirect_uri};
  profile.client_name = "mcpcert interop client";
  profile.metadata_document_url = metadata_document_url;
  if (const char* context = std::getenv("MCP_CONFORMANCE_CONTEXT"); context != nullptr) {
    auto given = json::parse(context, nullptr, false);
    auto text = [&](const char* name) {
      return given.is_object() && given.contains(name) && given[name].is_string() ? given[name].get<std::string>() : std::string{};
    };
    // Bound to the issuer it was made with, when the scenario says which.
    if (!text("client_id").empty()) {
      profile.pre_registered.push_back({text("client_id"), loopback_redirect_uri, text("client_secret"), std::nullopt, text("issuer")});
    }
  }
  OAuthClient oauth(agent, profile);
  ChallengeResponder responder(oauth, mcp_url, {"", ""});
  McpClient client(agent, mcp_url, "");
  client.set_reauthorizer([&responder](const HttpReply& reply) { return responder(reply); });

  auto fail = [&](const std::string& what, const McpReply& reply) {
    std::cerr << "mcpcert-interop auth-client: " << what << " got HTTP " << reply.http.status;
    const auto& last = responder.last_outcome();
    if (!last.failure.empty()) std::cerr << "; authorization failed at step " << last.failed_step << ": " << last.failure;
    std::cerr << " (" << responder.authorizations() << " authorizations)\n";
    return 1;
  };
  auto initialized = client.connect(protocol_version);
  if (!initialized.has_result()) return fail("initialize", initialized);
  auto tools = client.request("tools/list", json::object());
  if (!tools.has_result()) return fail("tools/list", tools);
  const auto& listed = tools.message["result"]["tools"];
  if (listed.is_array() && !listed.empty() && listed[0].contains("name") && listed[0]["name"].is_string()) {
    auto called = client.call_tool(listed[0]["name"].get<std::string>(), json::object());
    if (!called.has_result()) return fail("tools/call", called);
  }
  const auto& tokens = responder.tokens();
  std::cout << "authorized " << responder.authorizations() << " time(s)"
            << (tokens ? " as client " + tokens->client_id + " at " + tokens->issuer + " with scope '" + tokens->scope + "'" : std::string{})
            << "; " << transcript.size() << " exchanges\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "world") return run_world();
  if (args.size() == 2 && args[0] == "auth-client") return run_auth_client(args[1], "");
  if (args.size() == 4 && args[0] == "auth-client" && args[1] == "--client-metadata-url") return run_auth_client(args[3], args[2]);
  return usage();
}
