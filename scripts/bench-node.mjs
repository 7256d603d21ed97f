// Micro-benchmark of the native library from Node, all in one process: parseOrderStr against the
// same checks written in plain JS, and stepFlow per call. Prints figures; asserts nothing.
// `make bench-node` runs it on the release build (PAYSIGN_NODE_ADDON).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = resolve(process.env.PAYSIGN_NODE_ADDON || join(root, 'target/node/paysign.node'));
const native = createRequire(import.meta.url)(addon);

const NOW = 1_751_361_838_042;
const orderStr = JSON.stringify({
  app_id: '101831234',
  merc_no: '101610000123',
  prepay_id: '1250701172358089759170412',
  timestamp: String(NOW - 60_000),
  noncestr: '6f18060eee669126b98e474407cc0682',
  // A 3072-bit RSA-PSS signature is 512 Base64 characters.
  sign: 'A'.repeat(510) + '==',
  auth_id: '101610000031001',
  reserved: '{"sandbox_flag": true}',
});

/** The checks of parseOrderStr, in plain JS (without duplicate-key detection, which JSON.parse cannot do). */
function parseOrderStrJs(text, nowMs, expectedAppId) {
  const fail = (code, field) => {
    const e = new Error(`orderStr ${field ?? ''}`);
    e.code = code;
    throw e;
  };
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    fail(2002);
  }
  if (typeof v === 'string') fail(2003);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(2003);
  for (const f of ['merc_no', 'prepay_id', 'timestamp', 'noncestr', 'sign', 'auth_id']) {
    if (!(f in v) || v[f] === '') fail(2004, f);
    if (typeof v[f] !== 'string') fail(2005, f);
  }
  for (const f of ['app_id', 'reserved']) {
    if (f in v && typeof v[f] !== 'string') fail(2005, f);
    if (v[f] === '') fail(2006, f);
  }
  if (!/^\d{13}$/.test(v.timestamp)) fail(2006, 'timestamp');
  if ([...v.noncestr].length > 32) fail(2006, 'noncestr');
  let sandbox = false;
  if (v.reserved !== undefined) {
    let r;
    try {
      r = JSON.parse(v.reserved);
    } catch {
      fail(2006, 'reserved');
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) fail(2006, 'reserved');
    if ('sandbox_flag' in r && typeof r.sandbox_flag !== 'boolean') fail(2006, 'reserved');
    sandbox = r.sandbox_flag === true;
  }
  const age = nowMs - Number(v.timestamp);
  if (age > 600_000) fail(2007, 'timestamp');
  if (-age > 300_000) fail(2008, 'timestamp');
  if (expectedAppId !== undefined && v.app_id !== undefined && v.app_id !== expectedAppId) fail(2009, 'app_id');
  return { mercNo: v.merc_no, prepayId: v.prepay_id, timestamp: v.timestamp, noncestr: v.noncestr, authId: v.auth_id, appId: v.app_id, sandbox, ageMs: age };
}

/** Runs fn for about `ms` after a warm-up; returns ns per call (median of 5 rounds). */
function measure(fn, ms = 400) {
  for (let i = 0; i < 2_000; i += 1) fn();
  const rounds = [];
  for (let r = 0; r < 5; r += 1) rounds.push(round(fn, ms));
  rounds.sort((a, b) => a - b);
  return rounds[2];
}

/** One timed round of about `ms`: ns per call. */
function round(fn, ms) {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms * 200_000);
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i += 1) fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / n;
}

/**
 * Two functions timed in alternating rounds (a, b, a, b, ...), so a busy machine slows both alike:
 * the median ns per call of each, the median of the per-pair ratios a/b, and the ratio of the best
 * rounds.
 */
function compare(a, b, ms = 100, pairs = 15) {
  for (let i = 0; i < 5_000; i += 1) {
    a();
    b();
  }
  const as = [];
  const bs = [];
  const ratios = [];
  for (let r = 0; r < pairs; r += 1) {
    const ta = round(a, ms);
    const tb = round(b, ms);
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { a: median(as), b: median(bs), ratio: median(ratios), best: Math.min(...as) / Math.min(...bs) };
}

/** Reads every field of a parse result, as a caller would, so no side can skip making one. */
let sink = 0;
function use(info) {
  sink += info.mercNo.length + info.prepayId.length + info.timestamp.length + info.noncestr.length;
  sink += info.authId.length + (info.appId === undefined ? 0 : info.appId.length) + (info.sandbox ? 1 : 0) + info.ageMs;
}

// All must agree before their speed means anything.
const b = parseOrderStrJs(orderStr, NOW, '101831234');
for (const a of [native.parseOrderStr({ orderStr, nowMs: NOW, expectedAppId: '101831234' }), native.parseOrderStr(orderStr, NOW, '101831234')]) {
  if (JSON.stringify(Object.entries(a)) !== JSON.stringify(Object.entries(b))) {
    throw new Error(`native and JS disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

// stepFlow moves a flow object in place, so each row keeps its flows in the phase it measures.
const ticket = JSON.stringify({ orderStr, mercOrderNo: 'PS20260101000001', mercContractCode: 'C-0001' });
const pending = JSON.stringify({ mercOrderNo: 'PS20260101000001', payment: 'PAID', contract: 'PENDING', updatedAt: NOW });
// A wide confirmation window and 1 ms backoff: 1000 status queries before the flow ends (the now
// does not move here), so the polling row runs long stretches of the same two steps.
const polling = { confirmDeadlineMs: 86_400_000, backoffInitialMs: 1, backoffCapMs: 1 };
function pollingFlow() {
  const flow = native.newFlow(polling);
  native.stepFlow(flow, { kind: 'STARTED', nowMs: NOW });
  native.stepFlow(flow, { kind: 'TICKET_FETCHED', nowMs: NOW, body: ticket });
  native.stepFlow(flow, { kind: 'CASHIER_RETURNED', nowMs: NOW });
  return flow;
}
let poll = pollingFlow();
let polls = 0;
const statusEvent = { kind: 'STATUS_FETCHED', nowMs: NOW, body: pending };
const timerEvent = { kind: 'TIMER_FIRED', nowMs: NOW };
/** One polling step: STATUS_FETCHED -> WAIT or TIMER_FIRED -> QUERY_STATUS, alternating. */
function pollStep() {
  polls += 1;
  if (polls === 1800) {
    poll = pollingFlow();
    polls = 1;
  }
  return native.stepFlow(poll, polls % 2 === 1 ? statusEvent : timerEvent);
}
if (pollStep().kind !== 'WAIT' || pollStep().kind !== 'QUERY_STATUS') throw new Error('the polling row does not poll');

// The goal's figure: the same three arguments to each side, every field of each result read.
const parse = compare(
  () => use(native.parseOrderStr(orderStr, NOW, '101831234')),
  () => use(parseOrderStrJs(orderStr, NOW, '101831234')),
);
const parseObject = measure(() => use(native.parseOrderStr({ orderStr, nowMs: NOW, expectedAppId: '101831234' })));
const step = measure(pollStep);
const rows = [
  ['parseOrderStr(orderStr, nowMs, appId) native', parse.a],
  ['parseOrderStr same checks, plain JS', parse.b],
  ['parseOrderStr({ orderStr, nowMs, appId })', parseObject],
  ['parseOrderStr error 2007 (native, throws)', measure(() => {
    try {
      native.parseOrderStr({ orderStr, nowMs: NOW + 3_600_000 });
    } catch {
      /* expected */
    }
  })],
  ['stepFlow polling (STATUS_FETCHED/TIMER_FIRED)', step],
  ['newFlow + stepFlow STARTED', measure(() => native.stepFlow(native.newFlow({}), { kind: 'STARTED', nowMs: NOW }))],
  ['newFlow + STARTED + TICKET_FETCHED', measure(() => {
    const flow = native.newFlow({});
    native.stepFlow(flow, { kind: 'STARTED', nowMs: NOW });
    return native.stepFlow(flow, { kind: 'TICKET_FETCHED', nowMs: NOW, body: ticket });
  })],
  ['version() (N-API call floor)', measure(() => native.version())],
];

console.log(`library: ${addon} (${statSync(addon).size} bytes), node ${process.versions.node}, orderStr ${orderStr.length} chars`);
for (const [name, ns] of rows) {
  console.log(`${name.padEnd(44)} ${(ns / 1000).toFixed(2).padStart(8)} µs/call ${Math.round(1e9 / ns).toLocaleString('en').padStart(12)} calls/s`);
}
console.log('(the newFlow rows include making the flow and the steps before the one named)');
console.log(`stepFlow median per call: ${(step / 1000).toFixed(2)} µs (goal <= 2 µs)`);
console.log('ticket check (the native parse export against the same checks in plain JS), each side: JSON; an');
console.log('  object; the 6 required fields present, non-empty strings; app_id and reserved strings, non-empty;');
console.log('  timestamp 13 digits; noncestr <= 32 characters; reserved a JSON object');
console.log('  whose sandbox_flag is a boolean; age <= 10 min, <= 5 min ahead; app_id as expected. Native also refuses');
console.log('  repeated keys (JSON.parse cannot see them) and keeps unknown fields. Both results read in full.');
console.log(`ticket check, native / plain JS: ${parse.ratio.toFixed(2)}x median of 15 alternating rounds, best rounds ${parse.best.toFixed(2)}x (goal <= 1.2x)`);
if (sink === 0) throw new Error('results were not read');
