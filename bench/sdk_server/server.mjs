// The official TypeScript SDK's Streamable HTTP server with the reference
// connector's get_kpis and list_situations tools, in front of the same backend, for `mcpcert bench`:
// stateful sessions and JSON replies (the SDK's fastest mode). Per call it does
// the upstream work the connector does (RFC 8693 token exchange at the issuer,
// then the tenant API with the exchanged token), but validates no bearer and
// keeps no log: its figures are a floor for the SDK, not a like-for-like port.
//
// Uses the pinned SDK the interop tests install (tests/interop/package.json);
// MCPCERT_SDK_MODULES names that node_modules directory.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

const require = createRequire(path.join(process.env.MCPCERT_SDK_MODULES, 'noop.js'));
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { version: sdkVersion } = require('@modelcontextprotocol/sdk/package.json');
const z = require('zod');

const issuer = process.env.MCPCERT_ISSUER;
const api = process.env.MCPCERT_API;
const basic = 'Basic ' + Buffer.from(
  `${encodeURIComponent(process.env.MCPCERT_CLIENT_ID)}:${encodeURIComponent(process.env.MCPCERT_CLIENT_SECRET)}`).toString('base64');

function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

async function fromTenant(bearer, what) {
  const exchange = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: bearer,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: api,
    }),
  });
  if (exchange.status !== 200) throw new Error(`token exchange answered ${exchange.status}`);
  const upstream = (await exchange.json()).access_token;
  const entity = claimsOf(bearer).entity;
  const reply = await fetch(`${api}/api/v1/entities/${encodeURIComponent(entity)}/${what}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${upstream}` },
  });
  if (reply.status !== 200) throw new Error(`tenant API answered ${reply.status}`);
  const body = await reply.json();
  return { entity: body.entity ?? entity, [what]: body[what] ?? [] };
}

function newServer() {
  const server = new McpServer({ name: 'mcpcert-bench-sdk', version: sdkVersion });
  const tool = (name, title, description, what, inputSchema) => server.registerTool(name, { title, description, inputSchema },
    async (_args, extra) => {
      const header = extra.requestInfo?.headers?.authorization ?? '';
      const structured = await fromTenant(String(header).replace(/^Bearer /i, ''), what);
      return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
    });
  tool('get_kpis', 'Key performance indicators', 'KPIs of the entity selected in this session, per period.', 'kpis',
    { period: z.string().optional() });
  tool('list_situations', 'Situations', "The entity's periodic closes and whether they are open or closed.", 'situations', {});
  return server;
}

const transports = new Map();

const http = createServer(async (req, res) => {
  if (req.url !== '/mcp') { res.writeHead(404).end(); return; }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  const body = text ? JSON.parse(text) : undefined;
  const sessionId = req.headers['mcp-session-id'];
  let transport = sessionId ? transports.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId || body?.method !== 'initialize') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"session not found"}}');
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    transport.onclose = () => { if (transport.sessionId) transports.delete(transport.sessionId); };
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res, body);
});
http.keepAliveTimeout = 60_000;
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address();
  console.log(`READY ${JSON.stringify({ mcp: `http://127.0.0.1:${port}/mcp`, sdk_version: sdkVersion, node: process.version })}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
