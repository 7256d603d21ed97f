// Runs the hypium suites on Node: the HAR's instrument suites (paysign/src/ohosTest) and the
// shell's own suites (tests/arkts/test), through hypium itself with a fake AbilityDelegator.
// Prints one line per test, then the summary line `N passed, M failed`; exits non-zero on failure.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { root } from '../project.mjs';

register('./hooks.mjs', import.meta.url);
// Stack traces point into the .ets files (the transpiler writes inline source maps).
process.setSourceMapsEnabled(true);

const suiteLists = ['paysign/src/ohosTest/ets/test/List.test.ets', 'tests/arkts/test/List.test.ets'];
const verbose = Boolean(process.env.PAYSIGN_TEST_VERBOSE);
const started = Date.now();

// hypium narrates every step with console.info/debug; keep that out of the output unless asked.
if (!verbose) {
  console.info = () => {};
  console.debug = () => {};
  console.log = () => {};
}
const out = (line) => process.stdout.write(`${line}\n`);

let summary = null;
let resolveFinished;
const finished = new Promise((resolve) => (resolveFinished = resolve));

function onReport(message) {
  const fields = {};
  for (const line of message.split('\n')) {
    const m = /^OHOS_REPORT_(STATUS|STATUS_CODE|RESULT): ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'STATUS_CODE') fields.code = Number(m[2]);
    else if (m[1] === 'RESULT') {
      const r = /Tests run: (\d+), Failure: (\d+), Error: (\d+), Pass: (\d+), Ignore: (\d+)/.exec(m[2]);
      if (r) summary = { total: +r[1], failure: +r[2], error: +r[3], pass: +r[4], ignore: +r[5] };
    } else {
      const kv = /^(\w+)=(.*)$/.exec(m[2]);
      if (kv) fields[kv[1]] = kv[2];
    }
  }
  if (fields.code !== undefined && fields.code !== 1 && fields.test !== undefined) {
    const ms = fields.consuming ?? '?';
    if (fields.code === 0) out(`ok    ${fields.class} > ${fields.test} (${ms} ms)`);
    else {
      out(`FAIL  ${fields.class} > ${fields.test} (${ms} ms)`);
      const detail = message.split('\n').filter((l) => l && !l.startsWith('OHOS_REPORT'));
      for (const l of detail) out(`        ${l}`);
    }
  }
}

const delegator = {
  printSync: (message) => onReport(message),
  print: async (message) => onReport(message),
  finishTest: (msg, code, callback) => {
    resolveFinished();
    if (callback) callback();
  },
  executeShellCommand: async () => ({ stdResult: '', exitCode: 0 }),
  getAppContext: () => ({ description: 'test double of the app context (Node run)' }),
};
globalThis.paysignTestDelegator = delegator;

const { Hypium } = await import('@ohos/hypium');
const lists = [];
for (const list of suiteLists) {
  const mod = await import(pathToFileURL(join(root, list)).href);
  lists.push(mod.default);
}

// A hung test must not hang the build: hypium times each `it` out, this bounds the whole run.
const guard = setTimeout(() => {
  out('arkts-test: the hypium run did not finish within 300 s');
  process.exit(1);
}, 300000);
guard.unref();

Hypium.hypiumTest(delegator, { bundleName: 'com.paysign.test', parameters: { timeout: '20000' } }, () => {
  for (const list of lists) list();
});
await finished;
clearTimeout(guard);

if (summary === null) {
  out('arkts-test: hypium finished without a summary');
  process.exit(1);
}
const failed = summary.failure + summary.error;
out(`hypium: ${summary.total} tests in ${Date.now() - started} ms`);
out(`${summary.pass} passed, ${failed} failed`);
process.exit(failed === 0 && summary.pass > 0 ? 0 : 1);
