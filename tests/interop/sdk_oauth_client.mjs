// The SDK client side of interop.sdk_oauth (started by sdk_oauth.mjs): the
// whole MCP authorization flow as the SDK runs it (RFC 9728 discovery from
// the 401, RFC 8414 metadata, dynamic registration, PKCE S256, resource),
// with a headless user on our login and consent pages; then tools/list,
// tools/call get_kpis, and a refresh the SDK does by itself when the
// connector refuses an access token. First at the shared MCP URL, where the
// SDK takes the first issuer listed; then at another tenant's own MCP URL,
// which lists that tenant's issuer alone, so the SDK reaches it too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { actAsUser } from './lib/headless_user.mjs';
import { npmFile, npmRequire, requireEnv, withDeadline } from './lib/world.mjs';

const { Client } = npmRequire('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = npmRequire('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { UnauthorizedError } = npmRequire('@modelcontextprotocol/sdk/client/auth.js');
const sdkVersion = JSON.parse(fs.readFileSync(npmFile('@modelcontextprotocol/sdk/package.json'), 'utf8')).version;

const sharedUrl = new URL(requireEnv('MCP_URL'));
// The shared URL lists every tenant's issuer; the user signs in at the one the SDK chose.
const tenants = JSON.parse(requireEnv('WORLD_TENANTS'));
const redirectUrl = 'http://127.0.0.1:47012/callback';

// Every HTTP request the SDK makes, to show the flow and check its steps.
const requests = [];
const recordingFetch = async (input, init = {}) => {
  const url = new URL(input instanceof Request ? input.url : input);
  const body = typeof init.body === 'string' || init.body instanceof URLSearchParams ? String(init.body) : '';
  const reply = await fetch(input, init);
  const grant = new URLSearchParams(body).get('grant_type');
  requests.push({ method: init.method ?? 'GET', path: url.pathname, status: reply.status, grant });
  console.log(`  ${init.method ?? 'GET'} ${url.origin}${url.pathname}${grant ? ` (grant_type=${grant})` : ''} -> ${reply.status}`);
  return reply;
};

// The OAuthClientProvider an app implements: storage, and the browser step.
class HeadlessProvider {
  constructor() { this.saved = {}; this.redirects = []; }
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return { client_name: `MCP TypeScript SDK ${sdkVersion} (mcpcert interop)`, redirect_uris: [redirectUrl],
             grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
             token_endpoint_auth_method: 'none' };
  }
  state() { return `state-${Math.random().toString(36).slice(2)}`; }
  clientInformation() { return this.saved.client; }
  saveClientInformation(client) { this.saved.client = client; }
  tokens() { return this.saved.tokens; }
  saveTokens(tokens) { this.saved.tokens = tokens; }
  saveCodeVerifier(verifier) { this.saved.verifier = verifier; }
  codeVerifier() { return this.saved.verifier; }
  async redirectToAuthorization(url) { this.redirects.push(url); }
}

function transportFor(mcpUrl, provider) {
  return new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch });
}

// The whole flow against one MCP URL, as a fresh app would run it; returns the tenant whose issuer the SDK chose.
async function flow(mcpUrl) {
  requests.length = 0;
  const provider = new HeadlessProvider();
  console.log(`@modelcontextprotocol/sdk ${sdkVersion} against ${mcpUrl}`);

  // 1. The first connect meets the 401: the SDK discovers, registers, and hands the user the authorization URL.
  let client = new Client({ name: 'mcpcert-interop-sdk', version: sdkVersion });
  let transport = transportFor(mcpUrl, provider);
  await assert.rejects(client.connect(transport), UnauthorizedError, 'connect without a token must ask for authorization');
  assert.equal(provider.redirects.length, 1, 'the SDK asks the app to open the authorization URL once');
  const authorizationUrl = provider.redirects[0];
  const [tenantId, tenant] = Object.entries(tenants).find(([, candidate]) => new URL(candidate.issuer).origin === authorizationUrl.origin) ?? [];
  assert.ok(tenant, `the authorization URL ${authorizationUrl.origin} is at one of our issuers`);
  const issuer = tenant.issuer;
  const user = tenant.users.find((candidate) => candidate.mcp_access);
  console.log(`the SDK chose the issuer of ${tenantId} (${issuer}); signing in as ${user.username}`);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorizationUrl.searchParams.get('resource'), mcpUrl.href, 'RFC 8707 resource is the MCP URL');
  assert.ok(provider.saved.client?.client_id?.startsWith('dyn_'), 'the SDK registered dynamically at /register');

  // 2. The user signs in and consents; the redirect carries the code and our issuer (RFC 9207).
  const callback = await actAsUser(authorizationUrl, user);
  assert.equal(`${callback.origin}${callback.pathname}`, redirectUrl);
  assert.equal(callback.searchParams.get('iss'), issuer);
  assert.equal(callback.searchParams.get('state'), authorizationUrl.searchParams.get('state'));
  const code = callback.searchParams.get('code');
  assert.ok(code, `the redirect has a code: ${callback}`);

  // 3. The SDK redeems the code (PKCE verifier, resource) and connects.
  await transport.finishAuth(code);
  assert.ok(provider.saved.tokens?.access_token && provider.saved.tokens?.refresh_token, 'access and refresh tokens saved');
  client = new Client({ name: 'mcpcert-interop-sdk', version: sdkVersion });
  transport = transportFor(mcpUrl, provider);
  await client.connect(transport);
  console.log(`connected: protocol ${transport.protocolVersion ?? '?'}, server ${JSON.stringify(client.getServerVersion())}`);

  // 4. tools/list and tools/call, through the SDK's own result schemas (outputSchema checked).
  const { tools } = await client.listTools();
  console.log(`tools/list: ${tools.map((tool) => tool.name).join(', ')}`);
  assert.ok(tools.some((tool) => tool.name === 'get_kpis'), 'get_kpis is listed');
  const result = await client.callTool({ name: 'get_kpis', arguments: {} });
  assert.notEqual(result.isError, true, `get_kpis failed: ${JSON.stringify(result)}`);
  assert.ok(result.structuredContent, 'get_kpis returns structuredContent (it declares an outputSchema)');
  console.log(`tools/call get_kpis: ${JSON.stringify(result.structuredContent).slice(0, 160)}...`);

  // 5. The access token dies; the connector answers 401 and the SDK refreshes by itself and retries.
  const firstTokens = provider.saved.tokens;
  provider.saved.tokens = { ...firstTokens, access_token: 'revoked.access.token' };
  const again = await client.callTool({ name: 'get_kpis', arguments: {} });
  assert.notEqual(again.isError, true, `get_kpis after refresh failed: ${JSON.stringify(again)}`);
  const refreshes = requests.filter((request) => request.grant === 'refresh_token');
  assert.equal(refreshes.length, 1, 'exactly one refresh_token grant');
  assert.equal(refreshes[0].status, 200);
  assert.notEqual(provider.saved.tokens.access_token, firstTokens.access_token, 'a new access token');
  assert.notEqual(provider.saved.tokens.refresh_token, firstTokens.refresh_token, 'the refresh token rotated (OAuth 2.1)');
  assert.equal(provider.redirects.length, 1, 'no second trip to the browser');
  await client.close();

  for (const step of ['/register', '/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server']) {
    assert.ok(requests.some((request) => request.path.startsWith(step) && request.status < 300), `the SDK reached ${step}`);
  }
  console.log(`PASS at ${mcpUrl}: discovery, registration, PKCE, login + consent, token, tools/list, tools/call, refresh`);
  return tenantId;
}

async function main() {
  const first = await flow(sharedUrl);
  // Another finance tenant (it serves get_kpis), at its own URL.
  const [otherId, other] = Object.entries(tenants).find(([id, tenant]) =>
    id !== first && tenant.mcp_url && ['emea-finance', 'us-finance'].includes(id)) ?? [];
  assert.ok(other, `the connector names an MCP URL of its own for a finance tenant other than ${first}`);
  const reached = await flow(new URL(other.mcp_url));
  assert.equal(reached, otherId, `at ${other.mcp_url} the SDK signs in at ${otherId}'s issuer`);
}

await withDeadline(60_000, 'the SDK OAuth flow', main);
