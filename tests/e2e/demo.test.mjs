// `make demo` itself: it runs its five scenarios with every side agreeing, and Ctrl-C leaves no
// server and no run directory behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { requireAllPieces } from './lib/fixture.mjs';

requireAllPieces();
const demo = new URL('../../scripts/demo.mjs', import.meta.url).pathname;

function startDemo() {
  const child = spawn(process.execPath, [demo, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text);
    lines.push(line);
    for (const w of waiters.splice(0)) if (!w(line)) waiters.push(w);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const until = (pred) => new Promise((resolve) => waiters.push((line) => (pred(line) ? (resolve(line), true) : false)));
  return { child, lines, exited, until };
}

// Running: the process exists and is not a zombie (an orphan waits there until the machine's
// init reaps it, which in a container may be never; a zombie runs nothing and holds no port).
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('make demo', () => {
  it('runs the five scenarios, each side agreeing, and exits 0', async () => {
    const run = startDemo();
    const { code } = await run.exited;
    const verdicts = run.lines.filter((l) => l.scenario && l.ok !== undefined);
    assert.equal(code, 0, run.lines.map((l) => l.text).join('\n'));
    assert.equal(verdicts.length, 5, JSON.stringify(verdicts.map((v) => v.scenario)));
    assert.ok(verdicts.every((v) => v.ok));
    assert.ok(run.lines.some((l) => /sandbox cashier stands in for the phone's Payment Kit cashier/.test(l.text)));
  });

  it('Ctrl-C stops both servers and removes the run directory', async () => {
    const run = startDemo();
    const sandbox = await run.until((l) => l.who === 'sandbox' && l.pid);
    const merchant = await run.until((l) => l.who === 'merchant' && l.pid);
    assert.ok(alive(sandbox.pid) && alive(merchant.pid) && existsSync(sandbox.dir));
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130);
    // The servers were SIGKILLed as the demo exited; give the kernel a moment to reap them.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(sandbox.pid), false, 'paysign-sandbox still running');
    assert.equal(alive(merchant.pid), false, 'paysign-merchant still running');
    assert.equal(existsSync(sandbox.dir), false, `${sandbox.dir} left behind`);
  });
});
