// The app as a process of its own, for "killed after the cashier": `node app-child.mjs '<json>'`.
//   {"mode": "pay", merchantUrl, sandboxUrl, user, "killAfterCashier": true}
//     runs payAndSign and, once the cashier answered, kills itself with SIGKILL (no cleanup, no
//     flush: what the OS does to an app), printing `{"killed": true}` first;
//   {"mode": "resume", merchantUrl, user}
//     runs resumePending and prints `{"outcomes": [...]}`.
// Saved pending orders live in PAYSIGN_PREFERENCES_DIR (the ArkData preferences test double).
import { writeSync } from 'node:fs';
import { loadHar } from './har.mjs';

const args = JSON.parse(process.argv[2]);
const app = await loadHar();
const print = (value) => writeSync(1, `${JSON.stringify(value)}\n`);

if (args.mode === 'pay') {
  const { outcome } = await app.pay({
    ...args,
    afterCashier: () => {
      if (args.killAfterCashier) {
        print({ killed: true });
        process.kill(process.pid, 'SIGKILL');
      }
    },
  });
  print({ outcome });
} else {
  print({ outcomes: await app.resume(args) });
}
