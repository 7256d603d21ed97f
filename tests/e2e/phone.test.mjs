// What phones do: a clock 15 minutes off, the app killed after the cashier and started again, and
// a ticket whose prepay_id expired before the cashier opened.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertAgree, requireAllPieces, narrator, openStack } from './lib/fixture.mjs';
import { agreement, newUser, purchase, settled, views } from './lib/scenarios.mjs';

requireAllPieces();
const PAID_AND_SIGNED = { payment: 'PAID', contract: 'SIGNED' };
const NOT_PAID = { payment: 'NOT_PAID', contract: 'NOT_SIGNED' };
const child = new URL('./lib/app-child.mjs', import.meta.url).pathname;

function runApp(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [child, JSON.stringify(args)], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ signal: err?.signal ?? null, code: err?.code ?? 0, lines, stderr });
    });
  });
}

describe('the phone', () => {
  let env;
  before(async () => {
    env = await openStack({ label: 'phone' });
  });
  after(() => env?.close());

  for (const minutes of [15, -15]) {
    it(`clock ${minutes > 0 ? 'fast' : 'slow'} by 15 minutes: pays and signs (the ticket's serverTimeMs judges the orderStr)`, async (t) => {
      const step = narrator(t);
      const run = await purchase(env, { step, clockSkewMs: minutes * 60_000 });
      await settled(env, run.outcome.mercOrderNo);
      const v = await views(env, run.outcome, run.user);
      assertAgree([...agreement(run.outcome, v, PAID_AND_SIGNED), ['no error', !run.outcome.error, JSON.stringify(run.outcome.error)]], step);
    });
  }

  it('the app killed right after the cashier: resumePending in a new process confirms the order', async (t) => {
    assert.ok(env.app.has('resumePending'), 'the HAR exports resumePending');
    const step = narrator(t);
    const user = newUser('killed');
    const prefs = join(env.ws.dir, 'preferences');
    mkdirSync(prefs, { recursive: true });
    const base = { merchantUrl: env.merchant.url, sandboxUrl: env.sandbox.url, user };
    const first = await runApp({ ...base, mode: 'pay', killAfterCashier: true }, { PAYSIGN_PREFERENCES_DIR: prefs });
    step('app', `first process: ${first.signal ?? first.code} ${JSON.stringify(first.lines)}`);
    const second = await runApp({ ...base, mode: 'resume' }, { PAYSIGN_PREFERENCES_DIR: prefs });
    step('app', `second process: ${second.code} ${JSON.stringify(second.lines)} ${second.stderr.slice(-500)}`);
    const outcomes = second.lines.find((l) => l.outcomes)?.outcomes ?? [];
    const outcome = outcomes[0];
    const checks = [
      ['the first process died by SIGKILL after the cashier', first.signal === 'SIGKILL' && first.lines.some((l) => l.killed), `${first.signal}`],
      ['the new process resumed exactly one order', outcomes.length === 1, `${outcomes.length} outcome(s)`],
    ];
    if (outcome) {
      await settled(env, outcome.mercOrderNo);
      const v = await views(env, outcome, user);
      checks.push(...agreement(outcome, v, PAID_AND_SIGNED));
      const again = await runApp({ ...base, mode: 'resume' }, { PAYSIGN_PREFERENCES_DIR: prefs });
      const left = again.lines.find((l) => l.outcomes)?.outcomes ?? null;
      checks.push(['a final order is no longer saved', Array.isArray(left) && left.length === 0, JSON.stringify(left)]);
    }
    assertAgree(checks, step);
  });
});

describe('the ticket expired before the cashier opened', () => {
  let env;
  before(async () => {
    // Its own servers: the sandbox's business clock moves 11 minutes on.
    env = await openStack({ label: 'expired' });
  });
  after(() => env?.close());

  it('Payment Kit refuses the 11-minute-old prepay_id: confirmed not paid, nothing charged', async (t) => {
    const step = narrator(t);
    const beforeCashier = async () => {
      step('sandbox', 'business clock +11 min: the prepay_id is past its 10 minutes, the order past its expireTime');
      const res = await env.sandbox.post('/sandbox/clock', { advanceMs: 11 * 60_000 });
      if (res.status !== 200) throw new Error(`clock: HTTP ${res.status}`);
    };
    const run = await purchase(env, { step, beforeCashier });
    await settled(env, run.outcome.mercOrderNo);
    const v = await views(env, run.outcome, run.user);
    const e = run.outcome.error;
    assertAgree(
      [
        ...agreement(run.outcome, v, NOT_PAID),
        ['confirmed, not unknown', run.outcome.unknownOutcome === false && run.outcome.isFinal === true, `unknownOutcome ${run.outcome.unknownOutcome}, isFinal ${run.outcome.isFinal}`],
        ['a "not paid" error', e && ['PAYMENT_FAILED', 'CANCELED'].includes(e.kind), e ? `${e.code} ${e.kind}` : 'none'],
        ['no callback', v.sandbox.callbacks.length === 0, JSON.stringify(v.sandbox.callbacks)],
      ],
      step,
    );
  });
});
