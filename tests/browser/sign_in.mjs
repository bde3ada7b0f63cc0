// Drives headless Chromium through the DevTools protocol (no npm packages):
// opens an authorization URL, signs in on the issuer's real pages the way a
// user would (typing into the fields, clicking the buttons) and prints, as
// one JSON line, the pages it went through and the URL it ended at.
//
//   node --experimental-websocket sign_in.mjs CONFIG.json
//
// CONFIG: {"chromium", "profile_dir", "runs": [{"authorize_url", "steps": [...]}]}
// where each step names the page it expects (its <title>), the inputs to
// fill (CSS selector -> value) and the button to click; "settles_on" names
// the page to wait for when pages in between move on by themselves (a form
// their script submits), at most three loads later. The runs share one
// browser profile, so cookies carry from one to the next. Every wait is on a
// DevTools event or a bounded number of attempts; nothing sleeps for luck.
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + (config.timeout_ms ?? 60000);

function fail(message) {
  process.stderr.write(`browser: ${message}\n`);
  process.exitCode = 1;
  throw new Error(message);
}

// No sandbox: CI runs as root, where Chromium refuses to start with it.
const chromium = spawn(config.chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
  '--no-default-browser-check', '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
  `--user-data-dir=${config.profile_dir}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
let chromiumLog = '';
chromium.stderr.on('data', (chunk) => { chromiumLog += chunk; });
let chromiumExited = false;
chromium.on('exit', () => { chromiumExited = true; });

// Chromium writes its port and browser target path there once it listens.
async function devtoolsEndpoint() {
  const file = join(config.profile_dir, 'DevToolsActivePort');
  for (let attempt = 0; attempt < 600 && Date.now() < deadline; ++attempt) {
    if (chromiumExited) fail(`chromium exited before listening:\n${chromiumLog}`);
    if (existsSync(file)) {
      const [port, path] = readFileSync(file, 'utf8').split('\n');
      if (port && path) return `ws://127.0.0.1:${port.trim()}${path.trim()}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  fail(`no DevToolsActivePort in ${config.profile_dir}:\n${chromiumLog}`);
}

// One DevTools connection: commands answered by id, events handed to waiters.
class DevTools {
  constructor(url) {
    this.socket = new WebSocket(url);
    this.nextId = 1;
    this.pending = new Map();
    this.waiters = [];
    this.socket.onmessage = (message) => this.dispatch(JSON.parse(message.data));
  }
  open() {
    return new Promise((resolve, reject) => {
      this.socket.onopen = resolve;
      this.socket.onerror = () => reject(new Error('DevTools WebSocket error'));
    });
  }
  dispatch(message) {
    if (message.id !== undefined) {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!call) return;
      if (message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
      else call.resolve(message.result);
      return;
    }
    this.waiters = this.waiters.filter((waiter) => !waiter.match(message));
  }
  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.socket.send(JSON.stringify(message));
    });
  }
  // The next event `method` of `sessionId`; must be asked for before the command that causes it.
  event(method, sessionId) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} before the deadline`)), Math.max(0, deadline - Date.now()));
      timer.unref();
      this.waiters.push({
        match: (message) => {
          if (message.method !== method || message.sessionId !== sessionId) return false;
          clearTimeout(timer);
          resolve(message.params);
          return true;
        },
      });
    });
  }
}

async function main() {
  const devtools = new DevTools(await devtoolsEndpoint());
  await devtools.open();
  const { targetId } = await devtools.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await devtools.send('Target.attachToTarget', { targetId, flatten: true });
  await devtools.send('Page.enable', {}, sessionId);
  await devtools.send('Runtime.enable', {}, sessionId);
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await devtools.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
    if (exceptionDetails) fail(`page script failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  };

  const runs = [];
  for (const run of config.runs) {
    const pages = [];
    let loaded = devtools.event('Page.loadEventFired', sessionId);
    await devtools.send('Page.navigate', { url: run.authorize_url }, sessionId);
    await loaded;
    for (const step of run.steps) {
      const title = await evaluate('document.title');
      pages.push({ title, url: await evaluate('location.href') });
      if (title !== step.page) fail(`expected the page "${step.page}", got "${title}": ${await evaluate('document.body.innerText')}`);
      for (const [selector, value] of Object.entries(step.fill ?? {})) {
        // Typed as a user would: focus, then text input events.
        const found = await evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return false; e.focus(); e.value = ''; return true; })()`);
        if (!found) fail(`no ${selector} on "${title}"`);
        await devtools.send('Input.insertText', { text: value }, sessionId);
      }
      loaded = devtools.event('Page.loadEventFired', sessionId);
      const clicked = await evaluate(`(() => { const b = document.querySelector(${JSON.stringify(step.click)}); if (!b) return false; b.click(); return true; })()`);
      if (!clicked) fail(`no ${step.click} on "${title}"`);
      await loaded;
      for (let load = 1; step.settles_on && load <= 3; ++load) {
        // Asked for before looking, so a load that follows at once is not missed.
        loaded = devtools.event('Page.loadEventFired', sessionId);
        loaded.catch(() => {});
        const now = await evaluate('document.title').catch(() => '');
        if (now === step.settles_on) break;
        pages.push({ title: now, url: await evaluate('location.href').catch(() => '') });
        await loaded;
      }
    }
    runs.push({ pages, final: { title: await evaluate('document.title'), url: await evaluate('location.href') } });
  }
  process.stdout.write(JSON.stringify({ runs }) + '\n');
  await devtools.send('Browser.close').catch(() => {});
}

main()
  .catch((error) => {
    process.stderr.write(`browser: ${error.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!chromiumExited) chromium.kill('SIGKILL');
  });
