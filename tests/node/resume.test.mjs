// An app killed while its cashier is open, then started again: the order saved before the cashier
// opened (the @kit.ArkData preferences test double, on disk) is confirmed in the new process by
// resumePending, through the real host library.
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
