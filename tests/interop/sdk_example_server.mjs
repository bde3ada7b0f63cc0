// interop.sdk_example_server: our protocol scenarios (`mcpcert run --tag
// protocol`) against the official SDK's example server simpleStreamableHttp.js
// (stateful Streamable HTTP, no authorization), described by a target file
// with `authorization: none` whose get_kpis is the example's greet. Every
// scenario must get PASSED, except the entries of baseline.json's
// sdk_example_server section (`check` = scenario, `expected` verdict,
// `reason`): an unexpected verdict fails, so does an entry whose scenario now
// passes (stale) or ran not at all. The example listens on all interfaces
// (app.listen(MCP_PORT)), so it and mcpcert run in a private network
// namespace whose only interface is its own loopback.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { baselineFor } from './lib/conformance.mjs';
import { privateNetworkWrap } from './lib/private_network.mjs';
import { npmFile, requireEnv, withDeadline } from './lib/world.mjs';

const script = fileURLToPath(import.meta.url);
const insideMarker = 'MCPCERT_INTEROP_IN_PRIVATE_NETWORK';

/** Runs a command with our stdout/stderr; resolves with its exit status. */
function run(command, options = {}) {
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', ...options });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.log(`${command[0]}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 : 1)));
  });
}

if (process.env[insideMarker] !== '1') {
  // This script again, in the namespace.
  const status = await run([...privateNetworkWrap(), process.execPath, script], { env: { ...process.env, [insideMarker]: '1' } });
  process.exit(status);
}

const mcpcert = requireEnv('MCPCERT_BIN');
const work = path.join(requireEnv('MCPCERT_INTEROP_WORK'), 'sdk-example-server');
const scenarios = path.resolve(path.dirname(script), '../../scenarios');
const exampleServer = npmFile('@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js');
// Read, not required: the package's exports map sends package.json to its dist/ stub.
const sdkVersion = JSON.parse(fs.readFileSync(npmFile('@modelcontextprotocol/sdk/package.json'), 'utf8')).version;
const verdicts = new Set(['PASSED', 'FAILED', 'SKIPPED', 'WARNING']);

const baseline = baselineFor('sdk_example_server');
for (const entry of baseline) {
  if (!verdicts.has(entry.expected) || entry.expected === 'PASSED') {
    throw new Error(`baseline.json sdk_example_server: '${entry.check}' needs expected: FAILED, SKIPPED or WARNING (a PASSED scenario needs no entry)`);
  }
}
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

// The example reads its port from MCP_PORT only: take one the kernel says is free.
const port = await new Promise((resolve, reject) => {
  const probe = net.createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});

const serverLog = path.join(work, 'example-server.log');
const server = spawn(process.execPath, [exampleServer], { env: { ...process.env, MCP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
const log = fs.createWriteStream(serverLog);
server.stderr.pipe(log);
const exited = new Promise((resolve) => server.once('exit', resolve));
let status = 1;
try {
  await withDeadline(20000, 'the SDK example server', () => new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the SDK example server exited with ${code} before it listened (see ${serverLog})`)));
    createInterface({ input: server.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      if (line.includes(`listening on port ${port}`)) resolve();
    });
  }));

  const targetFile = path.join(work, 'sdk-example.yaml');
  fs.writeFileSync(targetFile, [
    `target: "@modelcontextprotocol/sdk ${sdkVersion} examples/server/simpleStreamableHttp.js"`,
    `mcp_url: http://127.0.0.1:${port}/mcp`,
    'authorization: none',
    'tools:',
    '  get_kpis: {name: greet, arguments: {name: mcpcert}}',
    'capabilities: {}',
    '',
  ].join('\n'));
  const report = path.join(work, 'report.json');
  console.log(`@modelcontextprotocol/sdk ${sdkVersion} example server at http://127.0.0.1:${port}/mcp (log: ${serverLog})\n`);
  const exit = await run([mcpcert, 'run', scenarios, '--tag', 'protocol', '--target', targetFile, '--json', report,
                          '--signing-key', path.join(work, 'signing-key.pem'), '--no-colour']);
  // 0: every claim passed, 1: some failed; anything else means no verdicts to judge.
  if (exit !== 0 && exit !== 1) throw new Error(`mcpcert run exited with ${exit}`);

  const ran = new Map();
  for (const claim of JSON.parse(fs.readFileSync(report, 'utf8')).claims) {
    for (const scenario of claim.scenarios) ran.set(scenario.name, scenario);
  }
  if (ran.size === 0) throw new Error('the report holds no scenario: nothing was judged');
  const problems = [];
  console.log('\nverdicts against the baseline:');
  for (const [name, scenario] of ran) {
    const entry = baseline.find((candidate) => candidate.check === name);
    const expected = entry?.expected ?? 'PASSED';
    const ok = scenario.verdict === expected;
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${scenario.verdict}${entry ? ` (baseline: ${entry.expected}, ${entry.reason})` : ''}`);
    if (ok) continue;
    if (entry && scenario.verdict === 'PASSED') problems.push(`${name} now passes: its baseline entry is stale, remove it`);
    else if (!entry && scenario.verdict === 'SKIPPED') problems.push(`${name} was SKIPPED (${scenario.reason}) and the baseline does not say why`);
    else problems.push(`${name}: ${scenario.verdict}, expected ${expected}: ${scenario.reason}`);
  }
  for (const entry of baseline.filter((candidate) => !ran.has(candidate.check))) {
    problems.push(`baseline entry '${entry.check}' names no scenario this test runs (stale?)`);
  }
  for (const problem of problems) console.log(`FAIL: ${problem}`);
  if (problems.length === 0) console.log(`\nPASS: ${ran.size} protocol scenario(s) (baseline: ${baseline.length} expected non-pass)`);
  status = problems.length === 0 ? 0 : 1;
} finally {
  server.kill('SIGTERM');
  await exited;
  log.end();
}
process.exit(status);
