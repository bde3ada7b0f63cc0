// interop.conformance_client_auth: the official conformance suite's client
// scenarios (--suite auth) with our scripted OAuth client as the client under
// test (`mcpcert-interop auth-client URL`). The suite's mock servers listen on
// all interfaces, so the whole run happens in a private network namespace
// (unshare -rn) whose only interface is its own loopback.
import path from 'node:path';
import { baselineFor, conformanceVersion, runSuite } from './lib/conformance.mjs';
import { privateNetworkWrap } from './lib/private_network.mjs';
import { requireEnv } from './lib/world.mjs';

const helper = requireEnv('MCPCERT_INTEROP_HELPER');
const work = path.join(requireEnv('MCPCERT_INTEROP_WORK'), 'conformance-client');
const wrap = privateNetworkWrap();

// The Client ID Metadata Document URL the suite's basic-cimd scenario expects
// as client_id (it fetches nothing: the document need not exist).
const clientMetadataUrl = 'https://conformance-test.local/client-metadata.json';
const checks = baselineFor('conformance_client_auth').map((entry) => entry.check);
console.log(`@modelcontextprotocol/conformance ${conformanceVersion}, client suite auth, client under test: ${helper} auth-client`);
const status = await runSuite({
  mode: 'client', label: 'client --suite auth', checks, workDir: work,
  args: ['--suite', 'auth', '--command', `${helper} auth-client --client-metadata-url ${clientMetadataUrl}`, '--timeout', '20000'],
  wrap,
});
console.log(status === 0 ? '\nPASS: client --suite auth (baseline applied)' : '\nFAIL: client --suite auth');
process.exit(status);
