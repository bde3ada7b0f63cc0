// Runs the official conformance suite (@modelcontextprotocol/conformance) with
// its own output shown, judged against our baseline (baseline.json): the
// entries for one run become the suite's --expected-failures file, so the
// suite itself fails the run on an unexpected failure and on a stale entry
// (listed, but now passing).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { npmFile, npmRequire, requireEnv } from './world.mjs';

export const conformanceBin = npmFile('@modelcontextprotocol/conformance/dist/index.js');
export const conformanceVersion = npmRequire('@modelcontextprotocol/conformance/package.json').version;

/** baseline.json's entries for one test: [{ check, reason }]. */
export function baselineFor(test) {
  const baseline = JSON.parse(fs.readFileSync(requireEnv('MCPCERT_INTEROP_BASELINE'), 'utf8'));
  const entries = baseline[test] ?? [];
  for (const entry of entries) {
    if (!entry.check || !entry.reason) throw new Error(`baseline.json ${test}: every entry needs check and reason: ${JSON.stringify(entry)}`);
  }
  return entries;
}

/**
 * One suite invocation: `mode` is server or client, `checks` the baseline
 * checks (scenario or scenario:check-id) expected to fail in this run.
 * `wrap` prefixes the command (e.g. a private network namespace).
 * Resolves with the suite's exit status. Asynchronous: the token proxy the
 * suite talks to runs in this process.
 */
export async function runSuite({ mode, args, checks, workDir, label, wrap = [] }) {
  fs.mkdirSync(workDir, { recursive: true });
  const argv = [conformanceBin, mode, ...args, '-o', path.join(workDir, 'results')];
  if (checks.length > 0) {
    const file = path.join(workDir, `expected-failures-${label.replace(/[^A-Za-z0-9.-]+/g, '_')}.yaml`);
    fs.writeFileSync(file, `${mode}:\n${checks.map((check) => `  - ${JSON.stringify(check)}`).join('\n')}\n`);
    argv.push('--expected-failures', file);
  }
  console.log(`\n=== ${label}${checks.length ? ` (expected failures: ${checks.join(', ')})` : ''}`);
  const command = [...wrap, process.execPath, ...argv];
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.log(`conformance: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (status) => resolve(status ?? 1));
  });
}
