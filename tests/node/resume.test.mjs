// An app killed while its cashier is open, then started again: the order saved before the cashier
// opened (the @kit.ArkData preferences test double, on disk) is confirmed in the new process by
// resumePending, through the real host library. And an exception after the cashier opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './native.mjs';

function runApp(mode, dir) {
  return spawnSync(
    process.execPath,
    ['--import', join(root, 'tests/arkts/node/register.mjs'), join(root, 'tests/node/fixtures/app-process.mjs'), mode],
    { env: { ...process.env, PAYSIGN_PREFERENCES_DIR: dir }, encoding: 'utf8', timeout: 30_000 },
  );
}

test('resume in a new process from the preferences the killed one saved', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paysign-prefs-'));
  try {
    const killed = runApp('pay', dir);
    assert.equal(killed.status, 137, killed.stderr);
    const file = join(dir, 'paysign_pending_orders.json');
    const saved = JSON.parse(JSON.parse(readFileSync(file, 'utf8')).orders);
    assert.deepEqual(
      saved.map((o) => [o.mercOrderNo, o.mercContractCode]),
      [['PS-KILLED-1', 'PC-KILLED-1']],
    );

    const next = runApp('resume', dir);
    assert.equal(next.status, 0, next.stderr);
    const outcomes = JSON.parse(next.stdout);
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].payment, 'PAID');
    assert.equal(outcomes[0].contract, 'SIGNED');
    assert.equal(outcomes[0].mercOrderNo, 'PS-KILLED-1');
    assert.equal(outcomes[0].isFinal, true);
    // Final: no longer saved, and a third start finds nothing.
    assert.deepEqual(JSON.parse(JSON.parse(readFileSync(file, 'utf8')).orders), []);
    assert.deepEqual(JSON.parse(runApp('resume', dir).stdout), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an exception after the cashier opened resolves UNKNOWN naming the order, which stays saved', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paysign-prefs-'));
  try {
    const run = runApp('throw', dir);
    assert.equal(run.status, 0, run.stderr);
    const outcome = JSON.parse(run.stdout);
    assert.equal(outcome.payment, 'UNKNOWN');
    assert.equal(outcome.contract, 'UNKNOWN');
    assert.equal(outcome.unknownOutcome, true);
    assert.equal(outcome.isFinal, false);
    assert.equal(outcome.mercOrderNo, 'PS-KILLED-1');
    assert.equal(outcome.mercContractCode, 'PC-KILLED-1');
    assert.equal(outcome.error.code, 5002);
    assert.equal(outcome.error.unknownOutcome, true);
    const saved = JSON.parse(JSON.parse(readFileSync(join(dir, 'paysign_pending_orders.json'), 'utf8')).orders);
    assert.deepEqual(saved.map((o) => o.mercOrderNo), ['PS-KILLED-1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
