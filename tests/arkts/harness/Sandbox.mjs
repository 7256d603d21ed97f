// The real paysign-sandbox binary for the Node suites: started on 127.0.0.1 with an ephemeral
// port (its first stdout line names it), callbacks off (the suites test the cashier), stopped with
// SIGTERM. Orders come from the crate's `demo-orders` example, which pre-orders through paysign-pas
// over HTTP and builds each orderStr as a merchant server does. Both are built by
// `make sandbox-bins` (a prerequisite of arkts-hypium).
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { root } from '../project.mjs';

const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const sandboxBin = process.env.PAYSIGN_SANDBOX_BIN || join(targetDir, 'debug/paysign-sandbox');
const demoOrdersBin = process.env.PAYSIGN_DEMO_ORDERS_BIN || join(targetDir, 'debug/examples/demo-orders');
const START_TIMEOUT_MS = 15000;

function need(path) {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing; run \`make sandbox-bins\` first`);
  }
}

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

class SandboxProcess {
  constructor(child, baseUrl) {
    this.child = child;
    this.baseUrl = baseUrl;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  demoOrders(count) {
    return new Promise((resolve, reject) => {
      execFile(demoOrdersBin, ['--sandbox', this.baseUrl, '--count', String(count)], (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`demo-orders failed: ${stderr || err.message}`));
          return;
        }
        resolve(stdout.trim().split('\n').map((line) => JSON.parse(line)));
      });
    });
  }

  async orderStatus(mercNo, mercOrderNo) {
    return (await getJson(`${this.baseUrl}/sandbox/orders/${mercNo}/${mercOrderNo}`)).status;
  }

  async contractStatus(mercNo, code) {
    return (await getJson(`${this.baseUrl}/sandbox/contracts/${mercNo}/${code}`)).status;
  }

  async eventCount() {
    return (await getJson(`${this.baseUrl}/sandbox/events`)).length;
  }

  async advanceClock(ms) {
    const res = await fetch(`${this.baseUrl}/sandbox/clock`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ advanceMs: ms }),
    });
    if (!res.ok) throw new Error(`POST /sandbox/clock: HTTP ${res.status}`);
  }

  async close() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
    }
    await this.exited;
  }
}

export function startSandbox() {
  need(sandboxBin);
  need(demoOrdersBin);
  const child = spawn(sandboxBin, ['--listen', '127.0.0.1:0', '--quiet', '--no-callbacks'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A run that exits early (a hung suite's guard) must not leave the sandbox behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return new Promise((resolve, reject) => {
    let baseUrl = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paysign-sandbox did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const listening = /^paysign-sandbox listening on (\S+)$/.exec(line);
      if (listening) baseUrl = listening[1];
      // The last start-up line: the sandbox is serving.
      if (line.startsWith('paysign-sandbox callbacks:') && baseUrl !== null) {
        clearTimeout(timer);
        resolve(new SandboxProcess(child, baseUrl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`paysign-sandbox exited with ${code} before it started`));
    });
  });
}
