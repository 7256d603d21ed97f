// `make demo`: pay-and-sign through the real native library (the host build of libpaysign), with
// the merchant server and the Payment Kit cashier SIMULATED (scripts/demo-sim.mjs) on a virtual
// clock. Prints every step and each outcome as JSON lines; exits 1 if an outcome is not the one
// the scenario expects.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFlow } from './demo-driver.mjs';
import { simulatedCashier, simulatedMerchant, virtualClock } from './demo-sim.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = createRequire(import.meta.url)(resolve(process.env.PAYSIGN_NODE_ADDON || join(root, 'target/node/paysign.node')));

const scenarios = [
  {
    name: 'paid and signed (the contract callback arrives late)',
    ticketAgeMs: 2_000,
    latencyMs: 120,
    userMs: 25_000,
    statuses: [
      { payment: 'PAID', contract: 'PENDING' },
      { payment: 'PAID', contract: 'PENDING' },
      { payment: 'PAID', contract: 'SIGNED', contractId: 'SIM-CONTRACT-ID-0001' },
    ],
    expect: { payment: 'PAID', contract: 'SIGNED', error: undefined },
  },
  {
    name: 'paid, then the user cancelled signing',
    ticketAgeMs: 2_000,
    latencyMs: 120,
    userMs: 40_000,
    cashierError: { code: 1001930000, message: 'The operation was canceled by the user.' },
    // The server learns of the declined contract a moment later; the flow keeps asking.
    statuses: [
      { payment: 'PAID', contract: 'PENDING' },
      { payment: 'PAID', contract: 'NOT_SIGNED' },
    ],
    // Paid is final: a contract code (6001), never "cancelled, try again".
    expect: { payment: 'PAID', contract: 'NOT_SIGNED', error: 6001 },
  },
  {
    name: 'the ticket is 11 minutes old: the cashier is never opened',
    ticketAgeMs: 11 * 60_000,
    latencyMs: 120,
    userMs: 0,
    statuses: [{ payment: 'NOT_PAID', contract: 'NOT_SIGNED' }],
    expect: { payment: 'NOT_PAID', contract: 'NOT_SIGNED', error: 2007 },
  },
];

const print = (line) => console.log(JSON.stringify(line));
let failures = 0;

print({
  demo: 'paysign pay-and-sign',
  library: `libpaysign ${native.version()} (real, host build)`,
  simulated: ['merchant server', 'Payment Kit cashier', 'clock (virtual)'],
});
for (const scenario of scenarios) {
  const clock = virtualClock(Date.now());
  const io = { merchant: simulatedMerchant(clock, scenario), cashier: simulatedCashier(clock, scenario), clock };
  print({ scenario: scenario.name, merchant: io.merchant.label, cashier: io.cashier.label });
  const outcome = await runFlow(native, io, { expectedAppId: 'SIM-APP' }, ({ event, action }) => {
    // The orderStr is shown without its sign: logs never carry it.
    const shown = action.orderStr ? { ...action, orderStr: `<${action.orderStr.length} chars>` } : action;
    const body = event.body ? `<${event.body.length} chars>` : undefined;
    print({ event: { ...event, body }, action: shown.kind === 'DONE' ? { kind: 'DONE' } : shown });
  });
  print({ scenario: scenario.name, outcome });
  const got = { payment: outcome.payment, contract: outcome.contract, error: outcome.error?.code };
  if (JSON.stringify(got) !== JSON.stringify(scenario.expect)) {
    failures += 1;
    console.error(`demo: "${scenario.name}" expected ${JSON.stringify(scenario.expect)}, got ${JSON.stringify(got)}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
