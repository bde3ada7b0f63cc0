// interop.conformance_server: the official conformance suite's server
// scenarios that apply to a domain server (no prompts, resources, sampling
// or test tools of the suite's own fixture) against the reference connector,
// once per protocol revision it serves, through our token-injecting proxy.
// Every scenario also runs the suite's wire-schema check for its revision.
import path from 'node:path';
import { baselineFor, conformanceVersion, runSuite } from './lib/conformance.mjs';
import { startTokenProxy } from './lib/token_proxy.mjs';
import { requireEnv, startWorld } from './lib/world.mjs';

// revision -> scenarios (see `conformance list`); each runs at that revision's wire.
const plan = {
  '2025-06-18': ['server-initialize', 'server-session-lifecycle', 'ping', 'tools-list'],
  '2025-11-25': ['server-initialize', 'server-session-lifecycle', 'ping', 'tools-list', 'dns-rebinding-protection'],
  '2026-07-28': ['server-stateless', 'tools-list', 'dns-rebinding-protection', 'http-header-validation'],
};

const baseline = baselineFor('conformance_server');
const work = path.join(requireEnv('MCPCERT_INTEROP_WORK'), 'conformance-server');
const runs = Object.entries(plan).flatMap(([revision, scenarios]) => scenarios.map((scenario) => ({ revision, scenario })));
// An entry is "<revision>/<scenario>" or "<revision>/<scenario>:<check-id>".
const unknown = baseline.filter((entry) => !runs.some(({ revision, scenario }) =>
  entry.check === `${revision}/${scenario}` || entry.check.startsWith(`${revision}/${scenario}:`)));

const failures = [];
console.log(`@modelcontextprotocol/conformance ${conformanceVersion}; each run gets a fresh world, reached through the token proxy`);
for (const { revision, scenario } of runs) {
  const prefix = `${revision}/${scenario}`;
  const checks = baseline.filter((entry) => entry.check === prefix || entry.check.startsWith(`${prefix}:`))
    .map((entry) => entry.check.slice(revision.length + 1));
  const world = await startWorld();
  const proxy = await startTokenProxy({ target: world.mcp_url, token: world.access_token, certificateFile: world.certificate_file });
  try {
    console.log(`\nconnector ${world.mcp_url} via ${proxy.url} (token of ${world.token_user})`);
    const status = await runSuite({
      mode: 'server', label: prefix, checks, workDir: work,
      args: ['--url', proxy.url, '--scenario', scenario, '--spec-version', revision, '--timeout', '15000'],
    });
    if (status !== 0) failures.push(prefix);
  } finally {
    await proxy.close();
    await world.stop();
  }
}
for (const entry of unknown) console.log(`FAIL: baseline entry '${entry.check}' names no scenario this test runs (stale?)`);
console.log(failures.length === 0 && unknown.length === 0
  ? `\nPASS: ${runs.length} server scenario runs (baseline: ${baseline.length} expected failure(s))`
  : `\nFAIL: ${failures.join(', ')}`);
process.exit(failures.length === 0 && unknown.length === 0 ? 0 : 1);
