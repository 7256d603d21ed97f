// The host log shim, seen from outside: a whole flow run with PAYSIGN_LOG=debug logs every step to
// stderr, and no line carries the sign, the prepay_id or the full orderStr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { orderStr } from './native.mjs';

const NOW = 1_751_361_838_042;
const SIGN = 'U0VDUkVULVNJR05BVFVSRS1NVVNULU5PVC1MRUFL';
const PREPAY = '1250701172358089759170412';

function runWithLog(level, script) {
  const nativeUrl = new URL('./native.mjs', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { paysign } from ${JSON.stringify(nativeUrl)};\n${script}`], {
    env: { ...process.env, PAYSIGN_LOG: level },
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

test('every step is logged, and no secret is', () => {
  const os = orderStr(NOW - 60_000, { sign: SIGN, prepay_id: PREPAY });
  const ticket = JSON.stringify({ orderStr: os, mercOrderNo: 'PS1', mercContractCode: 'C1' });
  const status = JSON.stringify({ mercOrderNo: 'PS1', payment: 'PAID', contract: 'SIGNED', updatedAt: NOW });
  const stderr = runWithLog(
    'debug',
    `const f = paysign.newFlow({});
     for (const e of [{ kind: 'STARTED' }, { kind: 'TICKET_FETCHED', body: ${JSON.stringify(ticket)} }, { kind: 'CASHIER_RETURNED' }, { kind: 'STATUS_FETCHED', body: ${JSON.stringify(status)} }]) {
       paysign.stepFlow(f, { ...e, nowMs: ${NOW} });
     }
     try { paysign.parseOrderStr({ orderStr: ${JSON.stringify(os)}, nowMs: ${NOW + 3_600_000} }); } catch {}`,
  );
  for (const expected of ['event STARTED -> FETCH_TICKET', 'event TICKET_FETCHED -> OPEN_CASHIER', 'event CASHIER_RETURNED -> QUERY_STATUS', 'event STATUS_FETCHED -> DONE payment PAID contract SIGNED', 'parseOrderStr: error 2007']) {
    assert.ok(stderr.includes(expected), `missing "${expected}" in:\n${stderr}`);
  }
  assert.ok(stderr.includes(`<sign:${SIGN.length} chars>`), stderr);
  assert.ok(!stderr.includes(SIGN), 'the sign leaked');
  assert.ok(!stderr.includes(PREPAY), 'the prepay_id leaked');
  assert.ok(!stderr.includes(os), 'the orderStr leaked');
});

test('the default level keeps stderr quiet on the normal path', () => {
  const stderr = runWithLog('', `paysign.stepFlow(paysign.newFlow({}), { kind: 'STARTED', nowMs: ${NOW} });`);
  assert.equal(stderr, '');
});
