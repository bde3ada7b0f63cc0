// interop.inspector_cli: MCP Inspector's command line (--cli) against a world
// of ours, with a bearer token our scripted client obtained: tools/list under
// --strict (tool-schema portability; exit 6 on an error-severity problem),
// then tools/call get_kpis.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { npmFile, npmRequire, requireEnv, startWorld } from './lib/world.mjs';

const inspector = npmFile('@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const version = npmRequire('@modelcontextprotocol/inspector/package.json').version;
const work = path.join(requireEnv('MCPCERT_INTEROP_WORK'), 'inspector');
fs.mkdirSync(work, { recursive: true });

const world = await startWorld();
let failed = false;
try {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: world.certificate_file, MCP_CATALOG_PATH: path.join(work, 'catalog.json'),
                HOME: work };
  const run = (label, args) => {
    const argv = [inspector, '--cli', world.mcp_url, '--transport', 'http', '--header', `Authorization: Bearer ${world.access_token}`, ...args];
    console.log(`\n$ mcp-inspector --cli ${world.mcp_url} --header 'Authorization: Bearer <token of ${world.token_user}>' ${args.join(' ')}`);
    const result = spawnSync(process.execPath, argv, { env, encoding: 'utf8', timeout: 60_000 });
    process.stdout.write(result.stdout ?? '');
    process.stdout.write(result.stderr ?? '');
    if (result.status !== 0) {
      console.log(`FAIL (${label}): exit ${result.status}${result.signal ? ` (${result.signal})` : ''}`);
      failed = true;
    }
    return result;
  };
  console.log(`@modelcontextprotocol/inspector ${version}`);
  const listed = run('tools/list --strict', ['--method', 'tools/list', '--strict']);
  if (listed.status === 0 && !/get_kpis/.test(listed.stdout)) {
    console.log('FAIL (tools/list): get_kpis is not in the listing');
    failed = true;
  }
  const called = run('tools/call get_kpis', ['--method', 'tools/call', '--tool-name', 'get_kpis']);
  if (called.status === 0) {
    const reply = JSON.parse(called.stdout);
    if (reply.isError || !reply.structuredContent) {
      console.log('FAIL (tools/call): get_kpis gave no structured result');
      failed = true;
    }
  }
} finally {
  await world.stop();
}
console.log(failed ? '\nFAIL: MCP Inspector CLI' : '\nPASS: MCP Inspector CLI tools/list --strict and tools/call');
process.exit(failed ? 1 : 0);
