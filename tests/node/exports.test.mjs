// Every export of the real host library, through Node-API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paysign, orderStr, documentedErrors, attempt, MINUTE, root } from './native.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const NOW = 1_751_361_838_042;

/** Asserts `fn` throws a paysign error with this code; returns it. */
function throwsCode(fn, code) {
  const { value, error } = attempt(fn);
  assert.equal(value, undefined, `expected error ${code}, got a result`);
  assert.ok(error instanceof Error, 'a JS Error');
  assert.equal(error.code, code, error.message);
  assert.equal(typeof error.kind, 'string');
  assert.equal(typeof error.retryable, 'boolean');
  assert.equal(typeof error.unknownOutcome, 'boolean');
  assert.ok(error.action.length > 0, 'every error says what to do');
  assert.ok(error.userMessageZh.length > 0 && error.userMessageEn.length > 0);
  return error;
}

test('exports exactly the documented functions', () => {
  assert.deepEqual(Object.keys(paysign).sort(), [
    'classifyCashierError',
    'errorInfo',
    'newFlow',
    'parseOrderStr',
    'resumeFlow',
    'selfTest',
    'stepFlow',
    'version',
  ]);
});

test('version is the crate version', () => {
  const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const version = /^version = "(.*)"$/m.exec(cargo)[1];
  assert.equal(paysign.version(), version);
});

test('acceptance: a 9-minute-old orderStr is accepted, an 11-minute-old one is 2007', () => {
  const info = paysign.parseOrderStr({ orderStr: orderStr(NOW - 9 * MINUTE), nowMs: NOW });
  assert.equal(info.ageMs, 9 * MINUTE);
  assert.equal(info.mercNo, '101610000123');
  assert.equal(info.sandbox, true);
  assert.equal(info.sign, undefined, 'the sign is never returned');

  const error = throwsCode(() => paysign.parseOrderStr({ orderStr: orderStr(NOW - 11 * MINUTE), nowMs: NOW }), 2007);
  assert.equal(error.kind, 'INVALID_TICKET');
  assert.equal(error.field, 'timestamp');
});

test('parseOrderStr: each documented rejection', () => {
  const cases = [
    [{ orderStr: 'not json', nowMs: NOW }, 2002, undefined],
    [{ orderStr: '[]', nowMs: NOW }, 2003, undefined],
    [{ orderStr: JSON.stringify(orderStr(NOW)), nowMs: NOW }, 2003, undefined],
    [{ orderStr: orderStr(NOW, { sign: undefined }), nowMs: NOW }, 2004, 'sign'],
    [{ orderStr: orderStr(NOW, { auth_id: '' }), nowMs: NOW }, 2004, 'auth_id'],
    [{ orderStr: orderStr(NOW, { timestamp: NOW }), nowMs: NOW }, 2005, 'timestamp'],
    [{ orderStr: orderStr(NOW, { noncestr: 'n'.repeat(33) }), nowMs: NOW }, 2006, 'noncestr'],
    [{ orderStr: orderStr(NOW, { reserved: '{"sandbox_flag":"yes"}' }), nowMs: NOW }, 2006, 'reserved'],
    [{ orderStr: orderStr(NOW + 60 * MINUTE), nowMs: NOW }, 2008, 'timestamp'],
    [{ orderStr: orderStr(NOW), nowMs: NOW, expectedAppId: 'other' }, 2009, 'app_id'],
  ];
  for (const [input, code, field] of cases) {
    const error = throwsCode(() => paysign.parseOrderStr(input), code);
    assert.equal(error.field, field, `${code}: ${error.message}`);
    // The same checks when the three values are passed as arguments.
    const positional = throwsCode(() => paysign.parseOrderStr(input.orderStr, input.nowMs, input.expectedAppId), code);
    assert.equal(positional.field, field, `${code}: ${positional.message}`);
    assert.equal(positional.message, error.message);
  }
  // A lone surrogate (JSON.stringify writes it as the escape \ud800) is a bad value, said plainly.
  for (const field of ['merc_no', 'noncestr']) {
    const input = { orderStr: orderStr(NOW, { [field]: 'x\ud800' }), nowMs: NOW };
    assert.ok(input.orderStr.includes('x\\ud800'));
    const error = throwsCode(() => paysign.parseOrderStr(input), 2006);
    assert.equal(error.field, field);
    assert.match(error.message, /not valid Unicode \(a lone surrogate escape\)/);
  }
  // The expected app id matches: accepted.
  assert.equal(paysign.parseOrderStr({ orderStr: orderStr(NOW), nowMs: NOW, expectedAppId: '101831234' }).appId, '101831234');
});

test('parseOrderStr: the exact result object, whichever way its strings are read and made', () => {
  // Keys in the .d.ts order; appId left out (not undefined) when the orderStr has none.
  assert.deepEqual(Object.entries(paysign.parseOrderStr({ orderStr: orderStr(NOW - MINUTE), nowMs: NOW })), [
    ['mercNo', '101610000123'],
    ['prepayId', '1250701172358089759170412'],
    ['timestamp', String(NOW - MINUTE)],
    ['noncestr', '6f18060eee669126b98e474407cc0682'],
    ['authId', '101610000031001'],
    ['appId', '101831234'],
    ['sandbox', true],
    ['ageMs', MINUTE],
  ]);
  const withoutApp = paysign.parseOrderStr({ orderStr: orderStr(NOW + MINUTE, { app_id: undefined, reserved: undefined }), nowMs: NOW });
  assert.deepEqual(Object.keys(withoutApp), ['mercNo', 'prepayId', 'timestamp', 'noncestr', 'authId', 'sandbox', 'ageMs']);
  assert.equal('appId' in withoutApp, false);
  assert.equal(withoutApp.sandbox, false);
  assert.equal(withoutApp.ageMs, -MINUTE);
  // Non-ASCII and escaped values (made from UTF-8), and an orderStr far longer than the one-call
  // read of the input (read in two calls) carrying a non-ASCII unknown field.
  const long = orderStr(NOW, { merc_no: '商户\u00e9\"1', noncestr: '随机串😀', app_id: 'app-é', note: '备注'.repeat(2000) });
  assert.ok(Buffer.byteLength(long) > 4096);
  const info = paysign.parseOrderStr({ orderStr: long, nowMs: NOW, expectedAppId: 'app-é' });
  assert.equal(info.mercNo, '商户\u00e9\"1');
  assert.equal(info.noncestr, '随机串😀');
  assert.equal(info.appId, 'app-é');
  throwsCode(() => paysign.parseOrderStr({ orderStr: long, nowMs: NOW, expectedAppId: 'app-e' }), 2009);
});

test('parseOrderStr: the three values as arguments give the object form\'s result', () => {
  for (const [text, now, app] of [
    [orderStr(NOW - MINUTE), NOW, undefined],
    [orderStr(NOW - MINUTE), NOW, '101831234'],
    [orderStr(NOW, { app_id: undefined, reserved: '{}' }), NOW, null],
    [orderStr(NOW + MINUTE, { noncestr: '随机' }), NOW, '101831234'],
  ]) {
    const positional = paysign.parseOrderStr(text, now, app);
    assert.deepEqual(Object.entries(positional), Object.entries(paysign.parseOrderStr({ orderStr: text, nowMs: now, expectedAppId: app })));
  }
  assert.deepEqual(paysign.parseOrderStr(orderStr(NOW), NOW), paysign.parseOrderStr({ orderStr: orderStr(NOW), nowMs: NOW }));
  // Wrong arguments are 1001 naming the argument.
  for (const [args, names] of [
    [[orderStr(NOW)], 'nowMs is required'],
    [[orderStr(NOW), null], 'nowMs is required'],
    [[orderStr(NOW), String(NOW)], 'nowMs must be a number, found string'],
    [[orderStr(NOW), -1], 'nowMs must be a whole number'],
    [[orderStr(NOW), NOW + 0.5], 'nowMs must be a whole number'],
    [[orderStr(NOW), NOW, 101831234], 'expectedAppId must be a string, found number'],
    [[1, NOW], 'input must be an object, found number'],
    [[true, NOW], 'input must be an object, found boolean'],
  ]) {
    const error = throwsCode(() => paysign.parseOrderStr(...args), 1001);
    assert.ok(error.message.includes(names), error.message);
  }
});

test('parseOrderStr: wrong input shapes are 1001', () => {
  for (const input of [undefined, null, 'x', 1, { orderStr: 1, nowMs: NOW }, { orderStr: 'x' }, { orderStr: 'x', nowMs: -1 }, { orderStr: 'x', nowMs: 1.5 }, { orderStr: 'x', nowMs: NaN }]) {
    throwsCode(() => paysign.parseOrderStr(input), 1001);
  }
});

test('classifyCashierError maps every requestPayment code and any other', () => {
  const expected = [
    [401, 4401, 'INVALID_TICKET', false],
    [1001930000, 4000, 'CANCELED', false],
    [1001930001, 4001, 'PAYMENT_FAILED', false],
    [1001930002, 4002, 'UNKNOWN_OUTCOME', true],
    [1001930010, 4010, 'RATE_LIMITED', false],
    [1001930011, 4011, 'NETWORK', true],
    [1001930003, 4003, 'UNKNOWN_OUTCOME', true],
    [1001930004, 4999, 'UNKNOWN_OUTCOME', true],
    [-5, 4999, 'UNKNOWN_OUTCOME', true],
  ];
  for (const [raw, code, kind, unknownOutcome] of expected) {
    const e = paysign.classifyCashierError({ code: raw, message: 'm' });
    assert.deepEqual([e.code, e.kind, e.unknownOutcome, e.paymentKitCode], [code, kind, unknownOutcome, raw]);
    assert.match(e.message, /m$/);
  }
});

test('errorInfo answers every documented code with its kind, and 1001 for others', () => {
  const documented = documentedErrors();
  assert.ok(documented.length >= 25);
  for (const { code, kind } of documented) {
    const e = paysign.errorInfo({ code });
    assert.equal(e.code, code);
    assert.equal(e.kind, kind);
  }
  for (const code of [0, 1000, 4998, 99999, -1, 1.5]) {
    throwsCode(() => paysign.errorInfo({ code }), 1001);
  }
});

test('newFlow: defaults, overrides, and invalid configs', () => {
  const flow = paysign.newFlow({});
  // An opaque native object: no state crosses to JS.
  assert.equal(typeof flow, 'object');
  assert.deepEqual(Object.keys(flow), []);
  assert.equal(paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW }).kind, 'FETCH_TICKET');
  assert.equal(typeof paysign.newFlow({ overallDeadlineMs: 1000, backoffFactor: 1.5, expectedAppId: 'a' }), 'object');
  for (const config of [
    { overallDeadlineMs: 0 },
    { backoffInitialMs: 10, backoffCapMs: 5 },
    { backoffFactor: 0.5 },
    { confirmDeadlineMs: -1 },
    { confirmDeadlineMs: '30000' },
    { expectedAppId: 5 },
    null,
  ]) {
    throwsCode(() => paysign.newFlow(config), 1001);
  }
});

test('stepFlow: a whole pay-and-sign, every action shape', () => {
  const flow = paysign.newFlow({});
  const send = (event) => paysign.stepFlow(flow, { nowMs: NOW, ...event });
  assert.deepEqual(send({ kind: 'STARTED' }), { kind: 'FETCH_TICKET', stage: 'CREATING_ORDER' });
  const os = orderStr(NOW - MINUTE);
  const open = send({ kind: 'TICKET_FETCHED', body: JSON.stringify({ orderStr: os, mercOrderNo: 'PS1', mercContractCode: 'C1' }) });
  assert.deepEqual({ ...open }, { kind: 'OPEN_CASHIER', stage: 'IN_CASHIER', orderStr: os, mercOrderNo: 'PS1', mercContractCode: 'C1' });
  assert.deepEqual(send({ kind: 'CASHIER_RETURNED' }), { kind: 'QUERY_STATUS', stage: 'CONFIRMING', mercOrderNo: 'PS1' });
  const pending = JSON.stringify({ mercOrderNo: 'PS1', payment: 'PAID', contract: 'PENDING', updatedAt: NOW });
  assert.deepEqual(send({ kind: 'STATUS_FETCHED', body: pending }), { kind: 'WAIT', stage: 'CONFIRMING', waitMs: 500 });
  assert.equal(send({ kind: 'TIMER_FIRED' }).kind, 'QUERY_STATUS');
  const final = JSON.stringify({ mercOrderNo: 'PS1', payment: 'PAID', contract: 'SIGNED', contractId: '2024070914615843071097', updatedAt: NOW });
  const done = send({ kind: 'STATUS_FETCHED', body: final });
  assert.equal(done.kind, 'DONE');
  assert.equal(done.stage, 'DONE');
  assert.deepEqual(
    { ...done.outcome },
    {
      payment: 'PAID',
      contract: 'SIGNED',
      mercOrderNo: 'PS1',
      mercContractCode: 'C1',
      contractId: '2024070914615843071097',
      elapsedMs: 0,
      isFinal: true,
      unknownOutcome: false,
    },
  );
});

test('stepFlow: a cancel the server confirms is CANCELED, with the Payment Kit code', () => {
  const flow = paysign.newFlow({});
  const send = (event) => paysign.stepFlow(flow, { nowMs: NOW, ...event });
  send({ kind: 'STARTED' });
  send({ kind: 'TICKET_FETCHED', body: JSON.stringify({ orderStr: orderStr(NOW), mercOrderNo: 'PS1', mercContractCode: 'C1' }) });
  assert.equal(send({ kind: 'CASHIER_FAILED', errorCode: 1001930000, errorMessage: 'canceled' }).kind, 'QUERY_STATUS');
  // A failed status call is not "not paid": ask again.
  assert.equal(send({ kind: 'STATUS_FAILED', httpStatus: 503, errorMessage: 'down' }).kind, 'WAIT');
  assert.equal(send({ kind: 'TIMER_FIRED' }).kind, 'QUERY_STATUS');
  const done = send({ kind: 'STATUS_FETCHED', body: JSON.stringify({ mercOrderNo: 'PS1', payment: 'NOT_PAID', contract: 'NOT_SIGNED', updatedAt: NOW }) });
  assert.equal(done.outcome.payment, 'CANCELED');
  assert.equal(done.outcome.isFinal, true);
  assert.equal(done.outcome.unknownOutcome, false);
  assert.equal(done.outcome.error.code, 4000);
  assert.equal(done.outcome.error.paymentKitCode, 1001930000);
});

test('stepFlow: an expired ticket ends without opening the cashier', () => {
  const flow = paysign.newFlow({});
  paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW });
  const body = JSON.stringify({ orderStr: orderStr(NOW - 11 * MINUTE), mercOrderNo: 'PS1', mercContractCode: 'C1' });
  const action = paysign.stepFlow(flow, { kind: 'TICKET_FETCHED', nowMs: NOW, body });
  assert.equal(action.kind, 'DONE');
  assert.equal(action.outcome.payment, 'NOT_PAID');
  assert.equal(action.outcome.error.code, 2007);
});

test('stepFlow: not a flow, bad events, events out of phase (which change nothing)', () => {
  const flow = paysign.newFlow({});
  throwsCode(() => paysign.stepFlow('{}', { kind: 'STARTED', nowMs: NOW }), 1003);
  throwsCode(() => paysign.stepFlow({}, { kind: 'STARTED', nowMs: NOW }), 1003);
  throwsCode(() => paysign.stepFlow(undefined, { kind: 'STARTED', nowMs: NOW }), 1003);
  throwsCode(() => paysign.stepFlow(flow, { kind: 'LAUNCHED', nowMs: NOW }), 1001);
  throwsCode(() => paysign.stepFlow(flow, { kind: 'STARTED' }), 1001);
  throwsCode(() => paysign.stepFlow(flow, { kind: 'CASHIER_RETURNED', nowMs: NOW }), 1001);
  // The refused events left the flow new: STARTED still works, once.
  assert.equal(paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW }).kind, 'FETCH_TICKET');
  throwsCode(() => paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW }), 1001);
  throwsCode(() => paysign.stepFlow(flow, { kind: 'TICKET_FETCHED', nowMs: NOW }), 1001);
  throwsCode(() => paysign.stepFlow(flow, { kind: 'TICKET_FAILED', nowMs: NOW, httpStatus: 42 }), 1001);
  // Two flows are independent.
  const other = paysign.newFlow({});
  assert.equal(paysign.stepFlow(other, { kind: 'STARTED', nowMs: NOW }).kind, 'FETCH_TICKET');
});

test('selfTest: a panic is caught inside, and a forced one comes back as 5002', () => {
  const r = paysign.selfTest({ forcePanic: false });
  assert.equal(r.version, paysign.version());
  assert.equal(r.panicCaught, true);
  assert.match(r.target, /^x86_64-linux/);
  const e = throwsCode(() => paysign.selfTest({ forcePanic: true }), 5002);
  assert.equal(e.kind, 'INTERNAL');
  // The library still works after a caught panic.
  assert.equal(paysign.selfTest({ forcePanic: false }).panicCaught, true);
  throwsCode(() => paysign.selfTest({}), 1001);
});

/** The fields of one interface of the generated .d.ts: name -> optional. */
function dtsFields(name) {
  const dts = readFileSync(join(root, 'paysign/src/main/cpp/types/libpaysign/index.d.ts'), 'utf8');
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? '';
  const fields = new Map();
  for (const m of body.matchAll(/^ {2}(\w+)(\??):/gm)) fields.set(m[1], m[2] === '?');
  return fields;
}

/** The object has only declared fields, and every required one. */
function matchesDts(value, name) {
  const fields = dtsFields(name);
  assert.ok(fields.size > 0, `${name} in index.d.ts`);
  for (const key of Object.keys(value)) assert.ok(fields.has(key), `${name}.${key} is not declared`);
  for (const [key, optional] of fields) {
    if (!optional) assert.ok(key in value, `${name}.${key} is missing`);
  }
}

test('results built natively have exactly the shapes the .d.ts declares', () => {
  matchesDts(paysign.parseOrderStr({ orderStr: orderStr(NOW), nowMs: NOW }), 'OrderStrInfo');
  const flow = paysign.newFlow({ confirmDeadlineMs: 1000 });
  const actions = [
    paysign.stepFlow(flow, { kind: 'STARTED', nowMs: NOW }),
    paysign.stepFlow(flow, { kind: 'TICKET_FETCHED', nowMs: NOW, body: JSON.stringify({ orderStr: orderStr(NOW), mercOrderNo: 'PS1', mercContractCode: 'C1' }) }),
    paysign.stepFlow(flow, { kind: 'CASHIER_FAILED', nowMs: NOW, errorCode: 1001930002, errorMessage: 'x' }),
    paysign.stepFlow(flow, { kind: 'STATUS_FAILED', nowMs: NOW, httpStatus: 503 }),
    paysign.stepFlow(flow, { kind: 'TIMER_FIRED', nowMs: NOW + 2000 }),
    paysign.stepFlow(flow, { kind: 'STATUS_FETCHED', nowMs: NOW + 2000, body: JSON.stringify({ mercOrderNo: 'PS1', payment: 'PENDING', contract: 'PENDING', updatedAt: NOW }) }),
  ];
  assert.deepEqual(actions.map((a) => a.kind), ['FETCH_TICKET', 'OPEN_CASHIER', 'QUERY_STATUS', 'WAIT', 'QUERY_STATUS', 'DONE']);
  for (const action of actions) matchesDts(action, 'FlowAction');
  const outcome = actions[5].outcome;
  matchesDts(outcome, 'PayAndSignOutcome');
  matchesDts(outcome.error, 'PaysignError');
  assert.equal(outcome.error.paymentKitCode, 1001930002);
  matchesDts(paysign.errorInfo({ code: 2007 }), 'PaysignError');
});
