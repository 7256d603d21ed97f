// The money-safety rules of the outcome, through the real host library: what an app reads after
// each cashier answer and each merchant answer (docs/native-api.md, "The flow").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paysign, orderStr } from './native.mjs';

const NOW = 1_751_361_838_042;

/** A flow driven to the open cashier; `send(event)` steps it at the current `now`. */
function toCashier(config = {}) {
  const native = paysign.newFlow(config);
  const flow = {
    now: NOW,
    send(event) {
      return paysign.stepFlow(native, { nowMs: flow.now, ...event });
    },
  };
  flow.send({ kind: 'STARTED' });
  const open = flow.send({
    kind: 'TICKET_FETCHED',
    body: JSON.stringify({ orderStr: orderStr(NOW), mercOrderNo: 'PS7', mercContractCode: 'C7' }),
  });
  assert.equal(open.kind, 'OPEN_CASHIER');
  assert.equal(open.mercOrderNo, 'PS7');
  assert.equal(open.mercContractCode, 'C7');
  return flow;
}

const status = (payment, contract) =>
  JSON.stringify({ mercOrderNo: 'PS7', payment, contract, contractId: contract === 'SIGNED' ? '2024070914615843071097' : null, updatedAt: NOW });

/** Answers every query with `body` until DONE; returns the outcome. */
function pollUntilDone(flow, body) {
  for (let i = 0; i < 1000; i++) {
    const action = flow.send({ kind: 'STATUS_FETCHED', body });
    if (action.kind === 'DONE') return action.outcome;
    assert.equal(action.kind, 'WAIT');
    flow.now += action.waitMs;
    assert.equal(flow.send({ kind: 'TIMER_FIRED' }).kind, 'QUERY_STATUS');
  }
  throw new Error('the flow did not end');
}

test('paid after a cancel code: PAID, final, no retryable error and no "cancelled" message', () => {
  for (const contract of ['SIGNED', 'NOT_SIGNED']) {
    const flow = toCashier();
    assert.equal(flow.send({ kind: 'CASHIER_FAILED', errorCode: 1001930000, errorMessage: 'canceled' }).kind, 'QUERY_STATUS');
    const outcome = pollUntilDone(flow, status('PAID', contract));
    assert.equal(outcome.payment, 'PAID');
    assert.equal(outcome.contract, contract);
    assert.equal(outcome.isFinal, true);
    assert.equal(outcome.unknownOutcome, false);
    assert.equal(outcome.mercOrderNo, 'PS7');
    if (contract === 'SIGNED') {
      assert.equal(outcome.error, undefined);
    } else {
      // Paid, contract not signed: its own code family with its own action.
      assert.equal(outcome.error.code, 6001);
      assert.equal(outcome.error.kind, 'CONTRACT_NOT_SIGNED');
      assert.equal(outcome.error.retryable, false);
      assert.equal(outcome.error.unknownOutcome, false);
      assert.equal(outcome.error.paymentKitCode, 1001930000);
      assert.doesNotMatch(outcome.error.userMessageZh, /取消|重试/);
      assert.doesNotMatch(outcome.error.userMessageEn, /cancel|try again/i);
    }
  }
});

test('a pending answer after a cancel code is polled again, never read as cancelled', () => {
  // Pending, then the server confirms not paid: CANCELED.
  const flow = toCashier();
  flow.send({ kind: 'CASHIER_FAILED', errorCode: 1001930000, errorMessage: 'canceled' });
  const wait = flow.send({ kind: 'STATUS_FETCHED', body: status('PENDING', 'PENDING') });
  assert.equal(wait.kind, 'WAIT');
  flow.now += wait.waitMs;
  flow.send({ kind: 'TIMER_FIRED' });
  const confirmed = pollUntilDone(flow, status('NOT_PAID', 'NOT_SIGNED'));
  assert.equal(confirmed.payment, 'CANCELED');
  assert.equal(confirmed.error.code, 4000);
  assert.equal(confirmed.isFinal, true);

  // Pending until the window closes: PENDING, money may have moved, do not pay again.
  const stuck = toCashier({ confirmDeadlineMs: 5_000 });
  stuck.send({ kind: 'CASHIER_FAILED', errorCode: 1001930000, errorMessage: 'canceled' });
  const outcome = pollUntilDone(stuck, status('PENDING', 'PENDING'));
  assert.equal(outcome.payment, 'PENDING');
  assert.equal(outcome.isFinal, false);
  assert.equal(outcome.unknownOutcome, true);
  assert.equal(outcome.mercOrderNo, 'PS7');
  assert.equal(outcome.mercContractCode, 'C7');
  assert.equal(outcome.error.code, 3004);
  assert.equal(outcome.error.retryable, false);
  assert.equal(outcome.error.unknownOutcome, true);
  assert.equal(outcome.error.paymentKitCode, 1001930000);
});

test('not paid confirmed after an uncertain cashier code is final, not "unknown, do not pay again"', () => {
  for (const code of [1001930002, 1001930003, 1001930011, 42]) {
    const flow = toCashier();
    flow.send({ kind: 'CASHIER_FAILED', errorCode: code, errorMessage: 'x' });
    const outcome = pollUntilDone(flow, status('NOT_PAID', 'NOT_SIGNED'));
    assert.equal(outcome.payment, 'NOT_PAID', `${code}`);
    assert.equal(outcome.isFinal, true);
    assert.equal(outcome.unknownOutcome, false);
    assert.equal(outcome.error.code, 4100);
    assert.equal(outcome.error.unknownOutcome, false);
    assert.equal(outcome.error.paymentKitCode, code);
  }
});

test('1001930003 has its own row', () => {
  const e = paysign.classifyCashierError({ code: 1001930003, message: 'Withhold failed.' });
  assert.equal(e.code, 4003);
  assert.equal(e.unknownOutcome, true);
  assert.equal(e.retryable, false);
});

test('a phone clock 15 minutes off still pays when the ticket carries serverTimeMs', () => {
  const serverNow = NOW;
  const os = orderStr(serverNow - 2_000);
  for (const skew of [15 * 60_000, -15 * 60_000]) {
    const phoneNow = serverNow + skew;
    const started = () => {
      const f = paysign.newFlow({});
      paysign.stepFlow(f, { kind: 'STARTED', nowMs: phoneNow });
      return f;
    };
    const withServerTime = JSON.stringify({ orderStr: os, mercOrderNo: 'PS7', mercContractCode: 'C7', serverTimeMs: serverNow });
    const open = paysign.stepFlow(started(), { kind: 'TICKET_FETCHED', nowMs: phoneNow, body: withServerTime });
    assert.equal(open.kind, 'OPEN_CASHIER', `skew ${skew}`);
    // The same ticket without the server's clock is judged on the phone's and refused.
    const withoutServerTime = JSON.stringify({ orderStr: os, mercOrderNo: 'PS7', mercContractCode: 'C7' });
    const done = paysign.stepFlow(started(), { kind: 'TICKET_FETCHED', nowMs: phoneNow, body: withoutServerTime });
    assert.equal(done.kind, 'DONE');
    assert.equal(done.outcome.error.code, skew > 0 ? 2007 : 2008);
  }
});

test('resumeFlow re-confirms a saved order: queries at once, never opens the cashier', () => {
  const flow = paysign.resumeFlow({ mercOrderNo: 'PS7', mercContractCode: 'C7', config: { confirmDeadlineMs: 5_000 } });
  const first = paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW });
  assert.deepEqual({ ...first }, { kind: 'QUERY_STATUS', stage: 'CONFIRMING', mercOrderNo: 'PS7' });
  const done = paysign.stepFlow(flow, {
    kind: 'STATUS_FETCHED',
    nowMs: NOW,
    body: JSON.stringify({ mercOrderNo: 'PS7', payment: 'PAID', contract: 'SIGNED', contractId: '1', updatedAt: NOW }),
  });
  assert.equal(done.kind, 'DONE');
  assert.equal(done.outcome.payment, 'PAID');
  assert.equal(done.outcome.mercContractCode, 'C7');
  assert.equal(done.outcome.isFinal, true);
  for (const bad of [{ mercOrderNo: '', mercContractCode: 'C7' }, { mercOrderNo: 'P\nS', mercContractCode: 'C7' }, { mercOrderNo: 'PS7' }]) {
    assert.throws(() => paysign.resumeFlow(bad), (e) => e.code === 1001);
  }
});
