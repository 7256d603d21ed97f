// The real servers of an end-to-end run, configured for each other in a temporary directory:
// paysign-sandbox (Payment Kit: server API, cashier, signed callbacks POSTed with retries) and
// paysign-merchant (the reference merchant server), on free loopback ports. Keys are made here
// with the OpenSSL command line: the merchant's SM2 key (its public half registered with the
// sandbox) and the sandbox's SM2 key (its public half is the merchant's "Huawei public key").
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atExit, startService } from './processes.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');

/** Where the binaries are: PAYSIGN_SANDBOX_BIN / PAYSIGN_MERCHANT_BIN, else the debug builds. */
export const binaries = {
  sandbox: process.env.PAYSIGN_SANDBOX_BIN || join(targetDir, 'debug/paysign-sandbox'),
  merchant: process.env.PAYSIGN_MERCHANT_BIN || join(targetDir, 'debug/paysign-merchant'),
};

/** The merchants registered with the sandbox: a direct merchant and a service provider. */
export const MERCHANTS = {
  DIRECT: {
    mercNo: '101000000001',
    appId: '5765880207853001',
    authId: 'AUTH-DIRECT-1',
    planId: 'PLAN-MONTHLY',
  },
  SP: {
    mercNo: '201000000001',
    appId: 'SP-APP-1',
    authId: 'AUTH-SP-1',
    planId: 'PLAN-SP',
    subMercNo: '301000000001',
    subAppId: 'SUB-APP-1',
  },
};

export const PRODUCTS = [
  { id: 'vip-month', name: 'VIP 月卡', amountFen: 1500 },
  { id: 'vip-year', name: 'VIP 年卡', amountFen: 15000 },
];

const ADMIN_TOKEN = 'e2e-admin-token-not-a-secret-0123456789';

/** A free TCP port on 127.0.0.1 (the merchant's callback URL must be known before it starts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function writeSecret(path, text) {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function sm2KeyPair(dir, name) {
  const priv = join(dir, `${name}.pem`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-out', priv], { stdio: 'pipe' });
  chmodSync(priv, 0o600);
  const pub = execFileSync('openssl', ['pkey', '-in', priv, '-pubout'], { encoding: 'utf8' });
  writeFileSync(join(dir, `${name}-pub.pem`), pub);
  return { priv, pub };
}

async function json(method, url, { body, token, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let value;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = text;
  }
  return { status: res.status, body: value };
}

async function ok(method, url, opts) {
  const res = await json(method, url, opts);
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** What this checkout can run: the binaries built, and the sandbox's callback delivery. */
export function capabilities() {
  const sandbox = existsSync(binaries.sandbox);
  const merchant = existsSync(binaries.merchant);
  let callbacks = false;
  let withholding = false;
  if (sandbox) {
    const help = execFileSync(binaries.sandbox, ['--help'], { encoding: 'utf8' });
    callbacks = help.includes('--callback-schedule-scale');
    withholding = help.includes('--withhold-delay-ms');
  }
  return { sandbox, merchant, callbacks, withholding };
}

/**
 * A temporary directory with both key pairs and the sandbox's merchant registry; `dispose`
 * removes it (set PAYSIGN_E2E_KEEP=1 to keep it, with the servers' logs, for a post-mortem).
 */
export function makeWorkspace(label = 'run') {
  const dir = mkdtempSync(join(tmpdir(), `paysign-e2e-${label}-`));
  const merchantKey = sm2KeyPair(dir, 'merchant-sm2');
  const sandboxKey = sm2KeyPair(dir, 'sandbox-sm2');
  // The merchant's copy of "Huawei's public key" is the sandbox's.
  writeFileSync(join(dir, 'huawei-sm2-pub.pem'), sandboxKey.pub);
  writeSecret(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`);
  const { DIRECT, SP } = MERCHANTS;
  const registry = {
    merchants: [
      {
        mercNo: DIRECT.mercNo,
        name: 'paysign demo shop',
        model: 'DIRECT',
        authId: DIRECT.authId,
        publicKey: merchantKey.pub,
        appIds: [DIRECT.appId],
        planIds: [DIRECT.planId],
      },
      {
        mercNo: SP.mercNo,
        name: 'paysign demo provider',
        model: 'SP',
        authId: SP.authId,
        publicKey: merchantKey.pub,
        appIds: [SP.appId],
        planIds: [SP.planId],
        subMerchants: [{ mercNo: SP.subMercNo, name: 'paysign demo sub-shop', appIds: [SP.subAppId] }],
      },
    ],
  };
  writeFileSync(join(dir, 'sandbox.json'), JSON.stringify(registry, null, 2));
  const remove = () => {
    if (process.env.PAYSIGN_E2E_KEEP) {
      process.stderr.write(`e2e: kept ${dir}\n`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Removed on Ctrl-C too (after the servers are killed).
  const unregister = atExit(remove);
  return {
    dir,
    adminToken: ADMIN_TOKEN,
    dispose() {
      unregister();
      remove();
    },
  };
}

/** Starts paysign-sandbox; `db` keeps its state in a file, `scale` shrinks the retry schedule. */
export async function startSandbox(ws, { db, scale = 0.0005, port = 0 } = {}) {
  const args = ['--listen', `127.0.0.1:${port}`, '--key', 'sandbox-sm2.pem', '--config', 'sandbox.json'];
  if (db) args.push('--db', db);
  const caps = capabilities();
  if (caps.callbacks) args.push('--callback-schedule-scale', String(scale));
  // A debit succeeds by itself 300 ms after it is accepted (Payment Kit: seconds to minutes).
  if (caps.withholding) args.push('--withhold-delay-ms', '300');
  const service = await startService({
    name: 'paysign-sandbox',
    bin: binaries.sandbox,
    args,
    cwd: ws.dir,
    ready: [/^paysign-sandbox listening on (http:\/\/\S+)$/],
    logFile: join(ws.dir, 'sandbox.log'),
  });
  const url = service.matches[0][1];
  return new SandboxApi(service, url);
}

/** The merchant.toml of one server. `reconcile` and `extra` are TOML appended as they are. */
export function merchantToml({ port, sandboxUrl, databaseUrl, model = 'DIRECT', reconcile = '' }) {
  const m = MERCHANTS[model];
  const sp = model === 'SP' ? `sub_merc_no = "${m.subMercNo}"\nsub_app_id = "${m.subAppId}"\n` : '';
  const products = PRODUCTS.map(
    (p) => `[[products]]\nid = "${p.id}"\nname = "${p.name}"\namount_fen = ${p.amountFen}\n`,
  ).join('\n');
  return `# Written by tests/e2e for one run.
listen = "127.0.0.1:${port}"
admin_listen = "127.0.0.1:0"
database_url = "${databaseUrl}"
public_base_url = "http://127.0.0.1:${port}"

[payment_kit]
base_url = "${sandboxUrl}"
public_key_file = "huawei-sm2-pub.pem"
bill_hosts = ["127.0.0.1"]
request_timeout_ms = 5000

[merchant]
model = "${model}"
merc_no = "${m.mercNo}"
app_id = "${m.appId}"
auth_id = "${m.authId}"
private_key_file = "merchant-sm2.pem"
plan_id = "${m.planId}"
trade_name = "paysign demo"
${sp}
[auth]
mode = "dev"
admin_token_file = "admin.token"

${products}
${reconcile}
`;
}

/**
 * Starts paysign-merchant against the sandbox. The port is fixed before the start (it is in the
 * callback URL the merchant sends Payment Kit), so a restart listens where callbacks go.
 */
export async function startMerchant(ws, sandbox, { model = 'DIRECT', databaseUrl = 'sqlite::memory:', reconcile = '', port, name = 'merchant' } = {}) {
  const listenPort = port ?? (await freePort());
  const configFile = join(ws.dir, `${name}.toml`);
  writeFileSync(configFile, merchantToml({ port: listenPort, sandboxUrl: sandbox.url, databaseUrl, model, reconcile }));
  const service = await startService({
    name: 'paysign-merchant',
    bin: binaries.merchant,
    args: ['serve', '--config', configFile],
    cwd: ws.dir,
    env: { RUST_LOG: process.env.RUST_LOG || 'info' },
    ready: [/^paysign-merchant listening on (http:\/\/\S+)$/, /^paysign-merchant admin on (http:\/\/\S+)$/],
    logFile: join(ws.dir, `${name}.log`),
  });
  return new MerchantApi(service, {
    url: service.matches[0][1],
    adminUrl: service.matches[1][1],
    port: listenPort,
    model,
    databaseUrl,
    reconcile,
    name,
    token: ws.adminToken,
  });
}

/** The sandbox's operator API: what Payment Kit knows. */
export class SandboxApi {
  constructor(service, url) {
    this.service = service;
    this.url = url;
  }
  order(mercNo, mercOrderNo) {
    return ok('GET', `${this.url}/sandbox/orders/${mercNo}/${mercOrderNo}`);
  }
  contract(mercNo, code) {
    return ok('GET', `${this.url}/sandbox/contracts/${mercNo}/${code}`);
  }
  async maybeContract(mercNo, code) {
    const res = await json('GET', `${this.url}/sandbox/contracts/${mercNo}/${code}`);
    return res.status === 200 ? res.body : null;
  }
  callbacks(query = {}) {
    const q = new URLSearchParams(query).toString();
    return ok('GET', `${this.url}/sandbox/callbacks${q ? `?${q}` : ''}`);
  }
  armCallbackFaults(plan) {
    return ok('POST', `${this.url}/sandbox/callback-faults`, { body: plan });
  }
  armFaults(plan) {
    return ok('POST', `${this.url}/sandbox/faults`, { body: plan });
  }
  events() {
    return ok('GET', `${this.url}/sandbox/events`);
  }
  get(path) {
    return json('GET', `${this.url}${path}`);
  }
  post(path, body) {
    return json('POST', `${this.url}${path}`, { body });
  }
  stop() {
    return this.service.stop();
  }
}

/** The merchant server: its app API (as a user of the dev authenticator) and its admin API. */
export class MerchantApi {
  constructor(service, info) {
    this.service = service;
    Object.assign(this, info);
  }
  appHeaders(user) {
    return { 'X-Paysign-User': user };
  }
  status(user, mercOrderNo) {
    return json('GET', `${this.url}/paysign/orders/${mercOrderNo}`, { headers: this.appHeaders(user) });
  }
  order(mercOrderNo) {
    return ok('GET', `${this.adminUrl}/admin/orders/${mercOrderNo}`, { token: this.token });
  }
  contract(code) {
    return ok('GET', `${this.adminUrl}/admin/contracts/${code}`, { token: this.token });
  }
  charge(code, body) {
    return json('POST', `${this.adminUrl}/admin/contracts/${code}/charges`, { token: this.token, body });
  }
  debit(mercOrderNo) {
    return ok('GET', `${this.adminUrl}/admin/debits/${mercOrderNo}`, { token: this.token });
  }
  reconcile() {
    return ok('POST', `${this.adminUrl}/admin/reconcile`, { token: this.token, body: {} });
  }
  stop() {
    return this.service.stop();
  }
  kill() {
    return this.service.kill();
  }
}

/** Polls `probe` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually(probe, { timeoutMs = 10_000, everyMs = 100, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
