// Shared by the interop scripts: a world of ours (backend + connector) started
// through `mcpcert-interop world`, the installed npm packages, and a deadline.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** require() resolving in the folder interop.setup installed the pinned packages into. */
export const npmRequire = createRequire(path.join(process.env.MCPCERT_INTEROP_NPM ?? '.', 'package.json'));

/** Path of an installed package's file (for binaries we run with our Node). */
export function npmFile(relative) {
  return path.join(process.env.MCPCERT_INTEROP_NPM, 'node_modules', relative);
}

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through ctest)`);
  return value;
}

/**
 * Starts a world and resolves with its description (mcp_url, certificate_file,
 * tenants with users and passwords, access_token of our scripted client) plus
 * stop(). The world also stops when this process exits (its stdin closes).
 */
export async function startWorld() {
  const helper = requireEnv('MCPCERT_INTEROP_HELPER');
  const child = spawn(helper, ['world'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`mcpcert-interop world exited with ${code} before it was up`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  info.stop = async () => {
    child.stdin.end();
    await exited;
  };
  return info;
}

/** Runs fn, failing the test if it takes longer than ms. */
export async function withDeadline(ms, what, fn) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
