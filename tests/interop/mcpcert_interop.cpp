// mcpcert-interop: the harness's side of the interoperability tests.
//
//   mcpcert-interop world            start one world, print it as one JSON line (URLs, certificate,
//                                    users, and an access token of our scripted client), then keep
//                                    it up until stdin closes or SIGTERM
//   mcpcert-interop auth-client URL  the client under test of the official conformance client
//                                    scenarios: MCP authorization against URL, then initialize,
//                                    tools/list and a tools/call
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/http_client.hpp"
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
  std::cerr << "usage: mcpcert-interop world | auth-client URL\n";
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
      users.push_back({{"username", user.username}, {"password", user.password}, {"mcp_access", mcp_access}});
      if (mcp_access && !token_user && id == token_tenant) {
        token_user = UserCredentials{user.username, user.password};
        token_issuer = tenant.issuer;
      }
    }
    out["tenants"][id] = {{"region", tenant.region}, {"issuer", tenant.issuer}, {"api", tenant.api}, {"users", users}};
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

std::string first_challenge_param(const HttpReply& reply, const std::string& name) {
  if (auto challenges = mcpcert::parse_www_authenticate(reply.header("www-authenticate"))) {
    for (const auto& challenge : *challenges) {
      if (challenge.scheme != "bearer") continue;
      if (auto it = challenge.params.find(name); it != challenge.params.end()) return it->second;
    }
  }
  return {};
}

// What OAuthClient leaves to its caller: it is given a registered client and
// the issuer to use, so this reads the resource metadata to choose the issuer
// and registers dynamically (RFC 7591) when the server offers it.
int run_auth_client(const std::string& mcp_url) {
  Transcript transcript;
  HttpAgent agent(transcript);
  const char* version_env = std::getenv("MCP_CONFORMANCE_PROTOCOL_VERSION");
  const std::string protocol_version = version_env != nullptr && *version_env != '\0' ? version_env : "2025-11-25";
  auto fail = [](const std::string& why) {
    std::cerr << "mcpcert-interop auth-client: " << why << "\n";
    return 1;
  };

  auto probe = McpClient(agent, mcp_url, "").connect(protocol_version);
  if (probe.http.status != 401) return fail("unauthenticated initialize got HTTP " + std::to_string(probe.http.status) + ", expected 401");
  std::string metadata_url = first_challenge_param(probe.http, "resource_metadata");
  const std::string challenge_scope = first_challenge_param(probe.http, "scope");
  if (metadata_url.empty()) {
    auto url = mcpcert::http::parse_url(mcp_url);
    if (!url) return fail("malformed MCP URL");
    const auto path = url->target.substr(0, url->target.find('?'));
    metadata_url = url->origin() + "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path);
  }
  auto resource_metadata = agent.send({"GET", metadata_url, {{"Accept", "application/json"}}, ""}).json();
  if (!resource_metadata.is_object() || !resource_metadata.contains("authorization_servers") ||
      !resource_metadata["authorization_servers"].is_array() || resource_metadata["authorization_servers"].empty()) {
    return fail("protected resource metadata at " + metadata_url + " names no authorization server");
  }
  const std::string issuer = resource_metadata["authorization_servers"][0].get<std::string>();
  std::string scope = challenge_scope;
  if (scope.empty() && resource_metadata.contains("scopes_supported") && resource_metadata["scopes_supported"].is_array()) {
    for (const auto& item : resource_metadata["scopes_supported"]) scope += (scope.empty() ? "" : " ") + item.get<std::string>();
  }

  auto server_metadata = agent.send({"GET", issuer + "/.well-known/oauth-authorization-server", {{"Accept", "application/json"}}, ""}).json();
  const std::string registration_endpoint = server_metadata.is_object() ? server_metadata.value("registration_endpoint", "") : "";
  std::string client_id = world_client_id;
  if (const char* context = std::getenv("MCP_CONFORMANCE_CONTEXT"); context != nullptr) {
    auto given = json::parse(context, nullptr, false);
    if (given.is_object() && given.contains("client_id")) client_id = given["client_id"].get<std::string>();
  }
  if (!registration_endpoint.empty() && client_id == world_client_id) {
    json request = {{"client_name", "mcpcert interop client"},
                    {"redirect_uris", {loopback_redirect_uri}},
                    {"grant_types", {"authorization_code", "refresh_token"}},
                    {"response_types", {"code"}},
                    {"token_endpoint_auth_method", "none"}};
    auto registered = agent.send({"POST", registration_endpoint, {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, request.dump()});
    auto body = registered.json();
    if (registered.status != 201 && registered.status != 200) return fail("registration: HTTP " + std::to_string(registered.status));
    client_id = body.value("client_id", "");
  }

  OAuthClient oauth(agent, {client_id, loopback_redirect_uri});
  auto outcome = oauth.authorize(mcp_url, issuer, {"", ""}, scope);
  if (!outcome.tokens) return fail("authorization failed at step " + outcome.failed_step + ": " + outcome.failure);

  McpClient client(agent, mcp_url, outcome.tokens->access_token);
  auto initialized = client.connect(protocol_version);
  if (!initialized.has_result()) return fail("initialize with the token got HTTP " + std::to_string(initialized.http.status));
  auto tools = client.request("tools/list", json::object());
  if (!tools.has_result()) return fail("tools/list got HTTP " + std::to_string(tools.http.status));
  const auto& listed = tools.message["result"]["tools"];
  if (listed.is_array() && !listed.empty()) client.call_tool(listed[0].value("name", ""), json::object());
  std::cout << "authorized as client " << client_id << " at " << issuer << "; " << transcript.size() << " exchanges\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "world") return run_world();
  if (args.size() == 2 && args[0] == "auth-client") return run_auth_client(args[1]);
  return usage();
}
