// Payment Kit's callbacks under the sandbox's delivery faults — duplicated, delayed, dropped, out
// of order — and the figure of the suite: how long after the last callback reaches the merchant
// the app has its outcome (goal: at most one poll interval).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertAgree, requireAllPieces, narrator, openStack } from './lib/fixture.mjs';
import { agreement, callbackToOutcomeMs, deliveriesFinished, purchase, settled, slowWorker, views } from './lib/scenarios.mjs';

requireAllPieces();
const PAID_AND_SIGNED = { payment: 'PAID', contract: 'SIGNED' };

describe('callbacks duplicated, delayed, dropped, out of order', () => {
  let env;
  before(async () => {
    // The worker asks Payment Kit only 5 s after a ticket: until then every state comes by callback.
    env = await openStack({ label: 'callbacks', reconcile: slowWorker(5_000) });
  });
  after(() => env?.close());

  async function faulted(t, plan) {
    const step = narrator(t);
    step('sandbox', `callback faults: ${JSON.stringify(plan)}`);
    await env.sandbox.armCallbackFaults(plan);
    const run = await purchase(env, { step });
    await settled(env, run.outcome.mercOrderNo);
    await deliveriesFinished(env, run.outcome);
    const v = await views(env, run.outcome, run.user);
    step('merchant', `callbacks: ${JSON.stringify(v.merchant.callbacks)}`);
    step('sandbox', `callbacks: ${JSON.stringify(v.sandbox.callbacks)}`);
    return { run, v, step };
  }

  it('duplicated: 3 copies of each, 2 at once, are applied once and all acknowledged', async (t) => {
    const { run, v, step } = await faulted(t, { duplicate: 2, copies: 3, concurrentCopies: 2 });
    const ids = v.merchant.callbacks.map((c) => c.callbackId);
    assertAgree(
      [
        ...agreement(run.outcome, v, PAID_AND_SIGNED),
        ['the sandbox sent 3 copies of each', v.sandbox.callbacks.length === 2 && v.sandbox.callbacks.every((c) => c.copies === 3 && c.attempts >= 3), JSON.stringify(v.sandbox.callbacks)],
        ['every copy acknowledged', v.sandbox.callbacks.every((c) => c.delivered >= 3), JSON.stringify(v.sandbox.callbacks)],
        ['the merchant recorded each callbackId once', ids.length === 2 && new Set(ids).size === 2, JSON.stringify(ids)],
        ['and applied each', v.merchant.callbacks.every((c) => c.outcome === 'APPLIED'), JSON.stringify(v.merchant.callbacks)],
      ],
      step,
    );
  });

  it('delayed by 1 s: the app keeps polling and ends with the delivered state', async (t) => {
    const { run, v, step } = await faulted(t, { delay: 2, delayMs: 1000 });
    const latency = callbackToOutcomeMs(run, v);
    assertAgree(
      [
        ...agreement(run.outcome, v, PAID_AND_SIGNED),
        ['both delivered', v.sandbox.callbacks.length === 2 && v.sandbox.callbacks.every((c) => c.status === 'DELIVERED'), JSON.stringify(v.sandbox.callbacks)],
        ['the outcome followed the callbacks', latency !== null && latency >= 0, `callback → outcome ${latency} ms`],
      ],
      step,
    );
  });

  it('dropped, both: the worker learns payment and contract by query', async (t) => {
    const { run, v, step } = await faulted(t, { drop: 2 });
    assertAgree(
      [
        ...agreement(run.outcome, v, PAID_AND_SIGNED),
        ['both dropped', v.sandbox.callbacks.length === 2 && v.sandbox.callbacks.every((c) => c.status === 'DROPPED'), JSON.stringify(v.sandbox.callbacks)],
        ['the merchant received none', v.merchant.callbacks.length === 0, JSON.stringify(v.merchant.callbacks)],
      ],
      step,
    );
  });

  it('out of order: the contract callback before the payment callback', async (t) => {
    const { run, v, step } = await faulted(t, { outOfOrder: 2 });
    const sent = Object.fromEntries(v.sandbox.callbacks.map((c) => [c.kind, c]));
    const kinds = v.merchant.callbacks.filter((c) => c.outcome === 'APPLIED').map((c) => c.kind).sort();
    assertAgree(
      [
        ...agreement(run.outcome, v, PAID_AND_SIGNED),
        ['the sandbox sent the contract first', sent.CONTRACT_SIGNED && sent.PAYMENT && sent.CONTRACT_SIGNED.firstAttemptMs <= sent.PAYMENT.firstAttemptMs, JSON.stringify(v.sandbox.callbacks)],
        ['the merchant applied both', JSON.stringify(kinds) === '["contract","payment"]', JSON.stringify(v.merchant.callbacks)],
        ['both delivered', v.sandbox.callbacks.every((c) => c.status === 'DELIVERED'), JSON.stringify(v.sandbox.callbacks)],
      ],
      step,
    );
  });

  // A figure, not a timed test: it asserts only that the sides agree and that each outcome came
  // after its callbacks; the numbers are printed (and quoted in the README).
  it('figure: callback reaches the merchant → the app has the outcome', async (t) => {
    const samples = [];
    const runs = Number(process.env.PAYSIGN_E2E_FIGURE_RUNS || 12);
    for (let i = 0; i < runs; i += 1) {
      // Spread when the callbacks arrive across the app's polling: 100 ms to 1.2 s after the
      // cashier (well before the worker's first query, so each state comes by callback).
      const delayMs = 100 + Math.round((1100 * i) / Math.max(1, runs - 1));
      const { run, v, step } = await faulted(t, { delay: 2, delayMs });
      assertAgree(agreement(run.outcome, v, PAID_AND_SIGNED), step);
      const latency = callbackToOutcomeMs(run, v);
      assert.ok(latency !== null && latency >= 0, `callback → outcome ${latency} ms`);
      const q = run.queries;
      const interval = q.length >= 2 ? q[q.length - 1] - q[q.length - 2] : null;
      samples.push({ latency, interval });
    }
    const lat = samples.map((s) => s.latency).sort((a, b) => a - b);
    const intervals = samples.map((s) => s.interval).filter((x) => x !== null);
    const within = samples.filter((s) => s.interval !== null && s.latency <= s.interval).length;
    const line =
      `callback reached the merchant → app outcome, ${runs} purchases: median ${percentile(lat, 50)} ms, ` +
      `p95 ${percentile(lat, 95)} ms, max ${lat[lat.length - 1]} ms; poll interval in effect ` +
      `${Math.min(...intervals)}–${Math.max(...intervals)} ms (backoff 500 ms ×2); within one poll interval: ${within}/${runs}`;
    t.diagnostic(line);
    process.stderr.write(`e2e figure: ${line}\n`);
  });
});

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}
