// A test tool, never part of the connector: a reverse proxy on loopback that
// adds `Authorization: Bearer <token>` to every request and forwards it,
// headers (Host and Origin included) and body as received, to the connector
// over HTTPS (its pinned certificate). The official server suite can't
// authenticate; this lets it reach a connector that always requires a token.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** Starts the proxy; resolves with { url, close() }, url being the proxied MCP URL. */
export async function startTokenProxy({ target, token, certificateFile }) {
  const upstream = new URL(target);
  const ca = certificateFile ? fs.readFileSync(certificateFile) : undefined;
  const client = upstream.protocol === 'https:' ? https : http;
  const server = http.createServer((request, response) => {
    const headers = { ...request.headers, authorization: `Bearer ${token}` };
    const forwarded = client.request({
      host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, ca,
      // The forwarded Host may be anything (the DNS-rebinding checks send
      // evil hosts): the certificate is checked against the connector's own
      // address, never against the Host header, and no SNI is sent.
      servername: '',
      checkServerIdentity: (_, certificate) => tls.checkServerIdentity(upstream.hostname, certificate),
    }, (reply) => {
      response.writeHead(reply.statusCode, reply.statusMessage, reply.rawHeaders);
      reply.pipe(response);
    });
    forwarded.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`token proxy: ${error.message}`);
    });
    request.pipe(forwarded);
    // A client that hangs up (an SSE stream it closes) ends the upstream request too.
    response.on('close', () => forwarded.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
