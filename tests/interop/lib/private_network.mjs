// A private network namespace (unshare -rn) whose only interface is its own
// loopback: for programs that listen on all interfaces and can't be told
// otherwise (the conformance suite's mock servers, the SDK's example server).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** The command prefix that runs a command in a new private network namespace with its loopback up. */
export function privateNetworkWrap() {
  const ip = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((candidate) => fs.existsSync(candidate));
  if (!ip) throw new Error('ip (iproute2) not found: apt-get install iproute2');
  try {
    execFileSync('unshare', ['-rn', 'true']);
  } catch (error) {
    throw new Error(`unshare -rn (a private network namespace) is not allowed here: ${error.message}`);
  }
  // In the namespace: bring its loopback up, then exec the command (argv after the script).
  return ['unshare', '-rn', 'sh', '-c', `"${ip}" link set lo up && exec "$0" "$@"`];
}
