// The hostile corpus: every export gets every kind of bad input, in the same process. Each call
// must end in a typed paysign error or a result; a crash or abort would end this process and fail
// the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paysign, orderFields, documentedErrors, attempt } from './native.mjs';

const NOW = 1_751_361_838_042;
const codes = new Set(documentedErrors().map((e) => e.code));

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);

/** Strings that have broken parsers, loggers and C bindings. */
const hostileStrings = [
  '',
  TEN_MB,
  `{"merc_no":"${TEN_MB}"}`,
  '\0',
  'a\0b',
  JSON.stringify(orderFields(NOW)).replace('"sign":"', '"sign":"\u0000'),
  '%n%s%x%p%%',
  JSON.stringify(orderFields(NOW, { noncestr: '%n%s' })),
  '\uD800',
  '\uDFFF\uD800',
  JSON.stringify(orderFields(NOW, { merc_no: '\uD800' })),
  deepArray,
  deepObject,
  '{"a":' + '['.repeat(10_000),
  'null',
  'true',
  '1e999',
  '"\\u0000"',
  '{"__proto__":{"x":1}}',
  JSON.stringify(JSON.stringify(orderFields(NOW))),
  '\u202e\ufeff',
];

/** Values of every JS type, including ones that fight back. */
const hostileValues = [
  undefined,
  null,
  0,
  -1,
  NaN,
  Infinity,
  -Infinity,
  1e308,
  2 ** 53 + 2,
  true,
  10n,
  Symbol('s'),
  () => 1,
  [],
  [1, 2],
  {},
  Object.create(null),
  new Date(0),
  new Proxy({}, { get() { throw new Error('hostile getter'); } }),
  Object.defineProperty({}, 'orderStr', { get() { throw new Error('hostile getter'); }, enumerable: true }),
  ...hostileStrings,
];

let calls = 0;

/** One call: a result, or a typed paysign error, or the caller's own exception from a hostile getter. */
function check(label, fn) {
  calls += 1;
  const { error } = attempt(fn);
  if (error === undefined) return;
  if (error instanceof Error && error.message === 'hostile getter') return;
  assert.ok(error instanceof Error, `${label}: threw a non-Error ${String(error)}`);
  assert.equal(typeof error.code, 'number', `${label}: code is not a number: ${error.message}`);
  assert.ok(codes.has(error.code), `${label}: code ${error.code} is not in the table`);
  assert.equal(typeof error.kind, 'string', `${label}: no kind`);
}

/** Objects shaped like `base`, with each field in turn replaced, removed, or given each hostile value. */
function* variants(base) {
  yield base;
  for (const key of Object.keys(base)) {
    const without = { ...base };
    delete without[key];
    yield without;
    for (const v of hostileValues) yield { ...base, [key]: v };
  }
}

const label = (v) => {
  try {
    return JSON.stringify(v)?.slice(0, 60) ?? String(v);
  } catch {
    return typeof v;
  }
};

test('every export survives hostile top-level arguments', () => {
  for (const v of hostileValues) {
    for (const [name, fn] of Object.entries(paysign)) {
      check(`${name}(${label(v)})`, () => fn(v));
      check(`${name}(${label(v)}, ${label(v)})`, () => fn(v, v));
    }
  }
  for (const [name, fn] of Object.entries(paysign)) {
    check(`${name}()`, () => fn());
  }
});

test('parseOrderStr survives hostile fields and hostile orderStr texts', () => {
  for (const input of variants({ orderStr: JSON.stringify(orderFields(NOW)), nowMs: NOW, expectedAppId: '101831234' })) {
    check(`parseOrderStr(${label(input)})`, () => paysign.parseOrderStr(input));
  }
  // The same three values as arguments, each in turn hostile.
  const text = JSON.stringify(orderFields(NOW));
  for (const v of hostileValues) {
    check(`parseOrderStr(${label(v)}, NOW)`, () => paysign.parseOrderStr(v, NOW));
    check(`parseOrderStr(text, ${label(v)})`, () => paysign.parseOrderStr(text, v));
    check(`parseOrderStr(text, NOW, ${label(v)})`, () => paysign.parseOrderStr(text, NOW, v));
  }
  // Numbers where strings belong, objects, arrays, nulls: inside the orderStr itself.
  for (const key of Object.keys(orderFields(NOW))) {
    for (const v of [1751361838042, -1, null, true, [], {}, { x: [1] }, '']) {
      const text = JSON.stringify({ ...orderFields(NOW), [key]: v });
      const { error } = attempt(() => paysign.parseOrderStr({ orderStr: text, nowMs: NOW }));
      assert.ok(error && error.code >= 2002 && error.code <= 2006, `${key}=${label(v)}: ${error?.message ?? 'accepted'}`);
      assert.equal(error.kind, 'INVALID_TICKET');
    }
  }
});

test('classifyCashierError, errorInfo, newFlow, resumeFlow and selfTest survive hostile fields', () => {
  for (const input of variants({ code: 1001930000, message: 'm' })) {
    check(`classifyCashierError(${label(input)})`, () => paysign.classifyCashierError(input));
  }
  for (const input of variants({ code: 2007 })) {
    check(`errorInfo(${label(input)})`, () => paysign.errorInfo(input));
  }
  const config = { overallDeadlineMs: 1000, confirmDeadlineMs: 1000, backoffInitialMs: 10, backoffCapMs: 100, backoffFactor: 2, expectedAppId: 'a' };
  for (const input of variants(config)) {
    check(`newFlow(${label(input)})`, () => paysign.newFlow(input));
  }
  for (const input of variants({ config: { confirmDeadlineMs: 1000 }, mercOrderNo: 'PS1', mercContractCode: 'C1' })) {
    check(`resumeFlow(${label(input)})`, () => paysign.resumeFlow(input));
  }
  for (const input of variants({ forcePanic: false })) {
    check(`selfTest(${label(input)})`, () => paysign.selfTest(input));
  }
});

test('stepFlow survives hostile flows, events and bodies in every phase', () => {
  const ticket = JSON.stringify({ orderStr: JSON.stringify(orderFields(NOW)), mercOrderNo: 'PS1', mercContractCode: 'C1' });
  // A flow moves in place, so each call gets a fresh one in the phase under test.
  const phases = {
    fresh: () => paysign.newFlow({}),
    started: () => {
      const f = paysign.newFlow({});
      paysign.stepFlow(f, { kind: 'STARTED', nowMs: NOW });
      return f;
    },
    inCashier: () => {
      const f = phases.started();
      paysign.stepFlow(f, { kind: 'TICKET_FETCHED', nowMs: NOW, body: ticket });
      return f;
    },
    querying: () => {
      const f = phases.inCashier();
      paysign.stepFlow(f, { kind: 'CASHIER_RETURNED', nowMs: NOW });
      return f;
    },
    resumed: () => paysign.resumeFlow({ mercOrderNo: 'PS1', mercContractCode: 'C1' }),
  };

  // Anything that is not a flow is 1003, including what a flow used to be (a state string).
  for (const v of [...hostileValues, '{"v":3,"phase":"new"}', { state: 'x' }, [phases.fresh()]]) {
    check(`stepFlow(${label(v)}, STARTED)`, () => paysign.stepFlow(v, { kind: 'STARTED', nowMs: NOW }));
  }
  const kinds = ['STARTED', 'TICKET_FETCHED', 'TICKET_FAILED', 'CASHIER_RETURNED', 'CASHIER_FAILED', 'STATUS_FETCHED', 'STATUS_FAILED', 'TIMER_FIRED'];
  // Every phase, every kind, every field with every value; the 10 MB values only where they are
  // read (the phase whose event takes a body), so the run stays short.
  const big = new Set([TEN_MB, `{"merc_no":"${TEN_MB}"}`]);
  const readsBody = new Map([['started', 'TICKET_FETCHED'], ['querying', 'STATUS_FETCHED']]);
  for (const [phase, make] of Object.entries(phases)) {
    for (const kind of kinds) {
      const base = { kind, nowMs: NOW, body: ticket, errorCode: 1001930002, errorMessage: 'm', httpStatus: 500 };
      for (const event of variants(base)) {
        const heavy = Object.values(event).some((v) => big.has(v));
        if (heavy && readsBody.get(phase) !== kind) continue;
        check(`stepFlow(${phase}, ${label(event)})`, () => paysign.stepFlow(make(), event));
      }
    }
  }
});

test('the corpus was large enough to mean something', () => {
  assert.ok(calls > 5_000, `${calls} calls`);
});
