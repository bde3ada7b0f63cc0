// interop.sdk_oauth: the official TypeScript SDK's client against a world of
// ours. This process starts the world; the client runs in a child that
// trusts the connector's certificate (NODE_EXTRA_CA_CERTS is read at start-up).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startWorld } from './lib/world.mjs';

const world = await startWorld();
let code = 1;
try {
  console.log(`world up: ${world.mcp_url}; tenants ${Object.keys(world.tenants).join(', ')}`);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./sdk_oauth_client.mjs', import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: world.certificate_file, MCP_URL: world.mcp_url,
           WORLD_TENANTS: JSON.stringify(world.tenants) },
  });
  code = await new Promise((resolve) => child.once('exit', (status) => resolve(status ?? 1)));
} finally {
  await world.stop();
}
process.exit(code);
