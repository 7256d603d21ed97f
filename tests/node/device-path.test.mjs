// The device's way of building parseOrderStr's result, run on the host. On Node the result comes
// from a compiled object literal (src/literal.rs); ArkTS cannot compile source, so phones define the
// properties in one napi_define_properties call. PAYSIGN_NAPI_NO_SCRIPT=1 (testing only) makes the
// host library take the phone's path; the same inputs must then give the same objects, key for key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { orderStr, MINUTE } from './native.mjs';

const NOW = 1_751_361_838_042;

/** [label, args]: each run in both forms (one options object, and three arguments). */
const CASES = [
  ['with appId', [orderStr(NOW - MINUTE), NOW, undefined]],
  ['expected appId', [orderStr(NOW - MINUTE), NOW, '101831234']],
  ['no appId, no reserved', [orderStr(NOW + MINUTE, { app_id: undefined, reserved: undefined }), NOW, null]],
  ['sandbox false', [orderStr(NOW, { reserved: '{"sandbox_flag":false}' }), NOW, undefined]],
  [
    'non-ASCII and escaped values',
    [orderStr(NOW, { merc_no: '商户\u00e9"1\\', noncestr: '随机串😀', auth_id: 'a\u0000b\n', app_id: 'app-é' }), NOW, 'app-é'],
  ],
  ['long, with a non-ASCII unknown field', [orderStr(NOW, { note: '备注'.repeat(2000) }), NOW, undefined]],
  ['an error (2007)', [orderStr(NOW - 11 * MINUTE), NOW, undefined]],
  ['an error (2009)', [orderStr(NOW), NOW, 'other']],
];

/** Runs every case in a child process; returns its report and its stderr. */
function runChild(env) {
  const nativeUrl = new URL('./native.mjs', import.meta.url).href;
  const script = `import { paysign } from ${JSON.stringify(nativeUrl)};
const cases = ${JSON.stringify(CASES)};
const describe = (fn) => {
  try {
    const r = fn();
    const flags = Object.entries(Object.getOwnPropertyDescriptors(r))
      .map(([k, d]) => [k, d.writable, d.enumerable, d.configurable, 'get' in d]);
    return { entries: Object.entries(r), flags, plain: Object.getPrototypeOf(r) === Object.prototype,
      extensible: Object.isExtensible(r), hasAppId: 'appId' in r };
  } catch (e) {
    return { error: { code: e.code, field: e.field, message: e.message } };
  }
};
const out = cases.map(([label, [text, now, app]]) => [label,
  describe(() => paysign.parseOrderStr({ orderStr: text, nowMs: now, expectedAppId: app })),
  describe(() => paysign.parseOrderStr(text, now, app))]);
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PAYSIGN_LOG: 'info', ...env },
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  assert.equal(r.status, 0, r.stderr);
  return { report: JSON.parse(r.stdout), stderr: r.stderr };
}

const SAYS_DEVICE_PATH = 'PAYSIGN_NAPI_NO_SCRIPT=1: results built as on the device';

test('the device path (napi_define_properties) gives the literal path\'s OrderStrInfo', () => {
  const literal = runChild({ PAYSIGN_NAPI_NO_SCRIPT: '' });
  const device = runChild({ PAYSIGN_NAPI_NO_SCRIPT: '1' });
  // Each child took the path it was meant to.
  assert.ok(!literal.stderr.includes(SAYS_DEVICE_PATH), literal.stderr);
  assert.ok(device.stderr.includes(SAYS_DEVICE_PATH), device.stderr);

  assert.deepEqual(device.report, literal.report);

  // And both are the documented object, not merely equal to each other.
  const byLabel = new Map(device.report.map(([label, object, positional]) => [label, { object, positional }]));
  for (const [label, { object, positional }] of byLabel) {
    assert.deepEqual(positional, object, `${label}: both forms agree`);
    if (object.error) continue;
    assert.equal(object.plain, true, label);
    assert.equal(object.extensible, true, label);
    // Data properties, writable, enumerable and configurable, like an object literal's.
    for (const [key, writable, enumerable, configurable, accessor] of object.flags) {
      assert.deepEqual([writable, enumerable, configurable, accessor], [true, true, true, false], `${label}: ${key}`);
    }
  }
  assert.deepEqual(byLabel.get('with appId').object.entries, [
    ['mercNo', '101610000123'],
    ['prepayId', '1250701172358089759170412'],
    ['timestamp', String(NOW - MINUTE)],
    ['noncestr', '6f18060eee669126b98e474407cc0682'],
    ['authId', '101610000031001'],
    ['appId', '101831234'],
    ['sandbox', true],
    ['ageMs', MINUTE],
  ]);
  const noApp = byLabel.get('no appId, no reserved').object;
  assert.deepEqual(noApp.entries.map(([k]) => k), ['mercNo', 'prepayId', 'timestamp', 'noncestr', 'authId', 'sandbox', 'ageMs']);
  assert.equal(noApp.hasAppId, false, 'appId absent, not undefined');
  assert.deepEqual(noApp.entries.slice(-2), [['sandbox', false], ['ageMs', -MINUTE]]);
  assert.equal(Object.fromEntries(byLabel.get('sandbox false').object.entries).sandbox, false);
  const odd = Object.fromEntries(byLabel.get('non-ASCII and escaped values').object.entries);
  assert.deepEqual([odd.mercNo, odd.noncestr, odd.authId, odd.appId], ['商户\u00e9"1\\', '随机串😀', 'a\u0000b\n', 'app-é']);
  assert.equal(byLabel.get('an error (2007)').object.error.code, 2007);
  assert.equal(byLabel.get('an error (2009)').object.error.field, 'app_id');
});
