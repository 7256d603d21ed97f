// What a test file of the end-to-end suite starts: the HAR on Node, a sandbox and a merchant
// server, stopped after the file's tests. `requireAllPieces()` fails a test file at once, with the
// reason, when a server binary is not built or lacks what the suite needs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadHar } from './har.mjs';
import { QUICK_RECONCILE } from './scenarios.mjs';
import { MERCHANTS, binaries, capabilities, makeWorkspace, root, startMerchant, startSandbox } from './stack.mjs';

/** Why the end-to-end suite cannot run on this checkout, or undefined. */
function missingPieces() {
  const caps = capabilities();
  if (!caps.sandbox) return `${binaries.sandbox} is not built (make e2e builds it)`;
  if (!caps.callbacks) return 'this paysign-sandbox does not POST callbacks';
  if (!caps.merchant) {
    return existsSync(join(root, 'crates/paysign-merchant'))
      ? `${binaries.merchant} is not built (make e2e builds it)`
      : 'the reference merchant server (crates/paysign-merchant) is not in this checkout';
  }
  return undefined;
}

/** Throws when the end-to-end suite cannot run here: a missing piece is a failure, never a skip. */
export function requireAllPieces() {
  const missing = missingPieces();
  if (missing) throw new Error(`the end-to-end suite cannot run: ${missing}`);
}

/** Starts the HAR, a sandbox and one merchant server; `close()` stops them and removes the files. */
export async function openStack({ label = 'e2e', model = 'DIRECT', databaseUrl, reconcile = QUICK_RECONCILE, sandboxOptions = {} } = {}) {
  const ws = makeWorkspace(label);
  const loading = loadHar();
  const sandbox = await startSandbox(ws, sandboxOptions);
  const app = await loading;
  assert.ok(app.has('sandboxCashier'), 'the HAR exports sandboxCashier');
  const dbUrl = typeof databaseUrl === 'function' ? databaseUrl(ws.dir) : databaseUrl;
  const merchant = await startMerchant(ws, sandbox, { model, databaseUrl: dbUrl, reconcile });
  const env = {
    app,
    sandbox,
    merchant,
    ws,
    mercNo: MERCHANTS[model].mercNo,
    /** Kills the merchant server (SIGKILL: a crash), and starts it again on the same port and database after `downMs`. */
    async restartMerchant({ downMs = 1_000 } = {}) {
      const old = env.merchant;
      await old.kill(); // a no-op when it is already dead
      await new Promise((r) => setTimeout(r, downMs));
      env.merchant = await startMerchant(ws, sandbox, { model, databaseUrl: dbUrl, reconcile, port: old.port });
      return env.merchant;
    },
    async close() {
      await env.merchant.stop();
      await env.sandbox.stop();
      ws.dispose();
    },
  };
  return env;
}

/**
 * A narrator for one test: the steps are kept and shown only when the test fails (or always with
 * PAYSIGN_E2E_VERBOSE=1), so a passing run stays one line per test.
 */
export function narrator(t) {
  const lines = [];
  const step = (who, text) => {
    const line = `${who}: ${text}`;
    lines.push(line);
    if (process.env.PAYSIGN_E2E_VERBOSE) t.diagnostic(line);
  };
  step.lines = lines;
  return step;
}

/** Fails with every check that does not hold (each names what disagreed and what each side said). */
export function assertAgree(checks, step) {
  const bad = checks.filter(([, ok]) => !ok).map(([what, , detail]) => `${what}: ${detail}`);
  const story = step ? `\nsteps:\n  ${step.lines.join('\n  ')}` : '';
  assert.deepEqual(bad, [], `the sides disagree:\n  ${bad.join('\n  ')}${story}`);
}
