// `make demo`: pay and sign end to end over the real parts, on this machine.
//   - paysign-sandbox plays Payment Kit: its server API, the cashier, and signed callbacks POSTed
//     with retries (SM2);
//   - paysign-merchant is the reference merchant server (SQLite in memory), with its reconcile
//     worker;
//   - the app is the HAR's own ArkTS shell (the .ets files, transpiled as the hypium suites run
//     them) over the real host build of libpaysign, talking HTTP to both.
// Only the phone's Payment Kit cashier screen cannot exist here: the HAR's sandboxCashier stands in.
// One line per step (`--json`: one JSON object per line); exits 1 if any side disagrees.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadHar } from '../tests/e2e/lib/har.mjs';
import { FIVE } from '../tests/e2e/lib/five.mjs';
import { QUICK_RECONCILE } from '../tests/e2e/lib/scenarios.mjs';
import { MERCHANTS, binaries, capabilities, makeWorkspace, root, startMerchant, startSandbox } from '../tests/e2e/lib/stack.mjs';

const asJson = process.argv.includes('--json');
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);

function say(who, text, data = {}) {
  if (asJson) console.log(JSON.stringify({ t: Date.now() - started, who, text, ...data }));
  else console.log(`${seconds()}s  ${who.padEnd(8)} ${text}`);
}

const caps = capabilities();
const merchantCrate = existsSync(join(root, 'crates/paysign-merchant'));
say('demo', 'paysign pay and sign, end to end: the HAR shell + libpaysign (host build) + paysign-merchant + paysign-sandbox');
say('demo', "the sandbox cashier stands in for the phone's Payment Kit cashier screen (the one part that cannot run here)");
if (!caps.sandbox) {
  say('demo', `${binaries.sandbox} is missing: run \`make demo\` (it builds it)`);
  process.exit(2);
}

const ws = makeWorkspace('demo');
let failures = 0;
const latencies = [];
try {
  // The HAR's transpilation takes a few seconds: done while the servers start.
  const appLoading = loadHar();
  const sandbox = await startSandbox(ws);
  say('sandbox', `paysign-sandbox listening on ${sandbox.url} (Payment Kit: server API, cashier, callbacks${caps.callbacks ? '' : ' NOT delivered by this build'})`, {
    pid: sandbox.service.pid,
    dir: ws.dir,
  });
  const app = await appLoading;
  say('app', `the HAR's ArkTS shell loaded on Node over libpaysign (target/node/paysign.node)`);
  if (!app.has('sandboxCashier')) {
    say('demo', 'MISSING: sandboxCashier is not exported by the HAR in this checkout; the scenarios need it');
    failures += 1;
  } else if (!caps.merchant) {
    if (merchantCrate) {
      say('demo', `${binaries.merchant} is missing: run \`make demo\` (it builds it)`);
      process.exitCode = 2;
    } else {
      say('demo', 'MISSING: the reference merchant server (crates/paysign-merchant) is not in this checkout yet;');
      say('demo', 'the five scenarios need it, so only the sandbox and the HAR were started');
    }
    failures += 1;
  } else {
    const merchant = await startMerchant(ws, sandbox, { reconcile: QUICK_RECONCILE });
    say('merchant', `paysign-merchant listening on ${merchant.url}, admin on ${merchant.adminUrl} (SQLite in memory, reconcile worker on)`, {
      pid: merchant.service.pid,
    });
    const env = { app, sandbox, merchant, mercNo: MERCHANTS.DIRECT.mercNo };
    for (const [i, scenario] of FIVE.entries()) {
      say('demo', `── ${i + 1}. ${scenario.title}`, { scenario: scenario.title });
      let result;
      try {
        result = await scenario.run(env, (who, text, data) => say(who, text, data));
      } catch (e) {
        result = { checks: [['ran to the end', false, e.message]] };
      }
      const bad = result.checks.filter(([, ok]) => !ok);
      if (result.latencyMs != null) latencies.push(result.latencyMs);
      if (bad.length === 0) {
        say('demo', `✓ ${scenario.title}: the app, the merchant's database and Payment Kit agree (${result.checks.length} checks)`, {
          scenario: scenario.title,
          ok: true,
          checks: result.checks,
        });
      } else {
        failures += 1;
        for (const [what, , detail] of bad) say('demo', `✗ ${what}: ${detail}`, { scenario: scenario.title, ok: false, what, detail });
      }
    }
    if (latencies.length > 0) {
      say('demo', `callback reached the merchant → app outcome: ${latencies.map((ms) => `${ms} ms`).join(', ')} (make e2e measures median and p95)`);
    }
    await merchant.stop();
  }
  await sandbox.stop();
} catch (e) {
  failures += 1;
  say('demo', `failed: ${e.message}`);
} finally {
  ws.dispose();
}
say('demo', `${FIVE.length} scenarios, ${failures} failed, ${seconds().trim()} s`);
process.exit(failures > 0 ? 1 : process.exitCode ?? 0);
