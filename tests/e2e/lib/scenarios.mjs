// The pay-and-sign scenarios over the real parts, shared by `make demo` (which narrates them) and
// the end-to-end suite (which asserts them): a purchase made by the HAR, then what the app, the
// merchant server's database (admin API) and Payment Kit (the sandbox's operator API) each say.
import { eventually } from './stack.mjs';

/**
 * The merchant configuration of the demo and of most e2e runs: a quick worker, short expiry.
 * `slowWorker(ms)` gives the worker's first query a later start, for tests that must see the
 * callbacks arrive first however slow the machine.
 */
export const slowWorker = (ms) => QUICK_RECONCILE.replace('payment_after_ms = 1500', `payment_after_ms = ${ms}`).replace('contract_after_ms = 1500', `contract_after_ms = ${ms}`);

export const QUICK_RECONCILE = `[reconcile]
# A payment or contract still pending 1.5 s after the ticket is queried by the worker (every
# 250 ms). Unpaid orders expire after 1 minute (the shortest the server allows; a real one keeps
# Payment Kit's default, 2 h). The status endpoint does not query Payment Kit itself here, so a
# lost callback is visibly recovered by the worker.
interval_ms = 250
payment_after_ms = 1500
contract_after_ms = 1500
debit_after_ms = 30000
max_backoff_ms = 1000
status_query_after_ms = 600000
order_expire_ms = 60000
contract_grace_ms = 1500
`;

let users = 0;
/** A fresh app user id per purchase (orders belong to the user who made them). */
export function newUser(prefix = 'user') {
  users += 1;
  return `${prefix}-${process.pid}-${users}`;
}

const quiet = () => {};

/**
 * One purchase through the HAR: payAndSign with the sandbox cashier playing `decision`.
 * `step(who, text)` narrates; `merchantUrl` replaces the merchant server's (e.g. a fault proxy's). Resolves with the outcome, when it arrived, and when each status
 * query was sent (the poll interval in effect at the end is the gap between the last two).
 */
export async function purchase(env, { user = newUser(), decision = 'PAY_AND_SIGN', productId = 'vip-month', flow, step = quiet, afterCashier, merchantUrl, ...more } = {}) {
  const queries = [];
  step('app', `payAndSign({ productId: "${productId}" }) as ${user}; the sandbox cashier plays ${decision}`);
  const { outcome, doneAtMs } = await env.app.pay({
    merchantUrl: merchantUrl ?? env.merchant.url,
    sandboxUrl: env.sandbox.url,
    user,
    productId,
    decision,
    flow,
    ...more,
    onLine: (line) => {
      const m = /^event (\w+) -> action (\w+)$/.exec(line);
      if (m && m[2] === 'QUERY_STATUS') queries.push(Date.now());
      if (m && m[2] !== 'WAIT' && m[2] !== 'DONE') step('app', `${m[1]} -> ${describeAction(m[2])}`);
    },
    afterCashier: async (code, orderStr) => {
      step('cashier', code === 0 ? 'requestPayment resolved' : `requestPayment rejected with ${code}`);
      if (afterCashier) await afterCashier(code, orderStr);
    },
  });
  step('app', `outcome: ${describeOutcome(outcome)}`, { outcome });
  return { user, outcome, doneAtMs, queries };
}

function describeAction(kind) {
  return (
    {
      FETCH_TICKET: 'POST /paysign/orders (the merchant server prices the product and pre-orders)',
      OPEN_CASHIER: 'open the cashier with the signed orderStr',
      QUERY_STATUS: 'GET /paysign/orders/{mercOrderNo}',
    }[kind] ?? kind
  );
}

export function describeOutcome(o) {
  const parts = [`payment ${o.payment}`, `contract ${o.contract}`];
  if (o.contractId) parts.push(`contractId ${o.contractId}`);
  parts.push(o.error ? `error ${o.error.code} ${o.error.kind}` : 'no error');
  if (o.isFinal !== undefined) parts.push(o.isFinal ? 'final' : 'not final');
  parts.push(`order ${o.mercOrderNo ?? '-'}`);
  return parts.join(', ');
}

const pick = (o, ...names) => {
  for (const n of names) if (o && o[n] !== undefined) return o[n];
  return undefined;
};

/** What each side knows about the order of `outcome`. */
export async function views(env, outcome, user) {
  const no = outcome.mercOrderNo;
  const code = outcome.mercContractCode;
  const mercNo = env.mercNo;
  const merchantOrder = await env.merchant.order(no);
  const merchantContract = code ? await env.merchant.contract(code) : null;
  const status = user ? await env.merchant.status(user, no) : null;
  const sandboxOrder = await env.sandbox.order(mercNo, no);
  const sandboxContract = code ? await env.sandbox.maybeContract(mercNo, code) : null;
  const callbacks = await sandboxCallbacks(env, outcome);
  return {
    merchant: {
      payment: merchantOrder.order.payment,
      contract: merchantContract?.contract.state ?? merchantOrder.contract?.state,
      contractId: merchantContract?.contract[pickKey(merchantContract.contract, 'contractId', 'contract_id')] ?? null,
      callbacks: [...(merchantOrder.callbacks ?? []), ...(merchantContract?.callbacks ?? [])].map((c) => ({
        callbackId: pick(c, 'callbackId', 'callback_id'),
        kind: c.kind,
        outcome: c.outcome,
        receivedMs: pick(c, 'receivedMs', 'received_ms'),
      })),
      amountFen: pick(merchantOrder.order, 'amountFen', 'amount_fen'),
    },
    status: status?.body,
    sandbox: {
      order: sandboxOrder.status,
      amountFen: pick(sandboxOrder, 'totalAmount', 'total_amount'),
      contract: sandboxContract?.status ?? null,
      contractId: pick(sandboxContract, 'contractId', 'contract_id') ?? null,
      callbacks: callbacks.map((c) => ({
        callbackId: c.callbackId,
        kind: c.kind,
        status: c.status,
        copies: c.copies,
        attempts: c.attempts?.length ?? 0,
        delivered: (c.attempts ?? []).filter((a) => a.delivered).length,
        firstAttemptMs: Math.min(...(c.attempts ?? []).map((a) => a.atMs)),
      })),
    },
  };
}

function pickKey(o, ...names) {
  return names.find((n) => o && o[n] !== undefined) ?? names[0];
}

/**
 * Whether the app's outcome, the merchant's database, its status endpoint and Payment Kit agree
 * on `expect` ({payment: PAID | NOT_PAID, contract: SIGNED | NOT_SIGNED}). Returns a list of
 * [what, ok, detail]; every entry must hold.
 */
export function agreement(outcome, v, expect) {
  const checks = [];
  const check = (what, ok, detail) => checks.push([what, Boolean(ok), detail]);
  const appPayment = outcome.payment === 'CANCELED' ? 'NOT_PAID' : outcome.payment;
  check('app payment', appPayment === expect.payment, `app says ${outcome.payment}`);
  check('app contract', outcome.contract === expect.contract, `app says ${outcome.contract}`);
  check('merchant db payment', v.merchant.payment === expect.payment, `merchant db says ${v.merchant.payment}`);
  check('merchant db contract', v.merchant.contract === expect.contract, `merchant db says ${v.merchant.contract}`);
  if (v.status) {
    check(
      'status endpoint',
      v.status.payment === expect.payment && v.status.contract === expect.contract,
      `status endpoint says ${v.status.payment}/${v.status.contract}`,
    );
  }
  const paidInSandbox = v.sandbox.order === 'TRX_SUCCESS';
  check('sandbox payment', paidInSandbox === (expect.payment === 'PAID'), `Payment Kit says ${v.sandbox.order}`);
  if (expect.payment === 'PAID') {
    check('amount', v.sandbox.amountFen === v.merchant.amountFen, `Payment Kit ${v.sandbox.amountFen} fen, merchant ${v.merchant.amountFen} fen`);
  }
  const signedInSandbox = v.sandbox.contract === 'SIGNED';
  check('sandbox contract', signedInSandbox === (expect.contract === 'SIGNED'), `Payment Kit says ${v.sandbox.contract ?? 'no contract'}`);
  if (expect.contract === 'SIGNED') {
    const ids = new Set([outcome.contractId, v.merchant.contractId, v.sandbox.contractId]);
    check('contractId', ids.size === 1 && outcome.contractId, `app ${outcome.contractId}, merchant ${v.merchant.contractId}, Payment Kit ${v.sandbox.contractId}`);
  }
  return checks;
}

/**
 * The order of `orderStr` reaches its expireTime unpaid and Payment Kit closes it (the sandbox's
 * operator API does it now instead of the run waiting for the expireTime).
 */
export async function expireOrder(env, orderStr, step = quiet) {
  const prepayId = JSON.parse(orderStr).prepay_id;
  const orders = await env.sandbox.get(`/sandbox/orders?mercNo=${env.mercNo}`);
  const order = (orders.body ?? []).find((o) => o.prepayId === prepayId);
  if (!order) throw new Error('the sandbox has no order for this orderStr');
  step('sandbox', `order ${order.mercOrderNo} reaches its expireTime unpaid: Payment Kit closes it (operator API)`);
  const res = await env.sandbox.post(`/sandbox/orders/${env.mercNo}/${order.mercOrderNo}/expire`, {});
  if (res.status !== 200) throw new Error(`expire: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

/** The sandbox's records of the notifications about the outcome's order and contract. */
async function sandboxCallbacks(env, outcome) {
  const no = outcome.mercOrderNo;
  const code = outcome.mercContractCode;
  return (await env.sandbox.callbacks({ mercNo: env.mercNo })).filter(
    (c) => c.body.includes(`"${no}"`) || (code && c.body.includes(`"${code}"`)),
  );
}

/**
 * Resolves once the sandbox has finished with every notification about the outcome's order: none
 * is still PENDING or HELD. The merchant may have applied a copy before the sandbox records the
 * attempt that carried it, so a test that counts the sandbox's attempts waits for this first.
 */
export function deliveriesFinished(env, outcome, { timeoutMs = 15_000 } = {}) {
  return eventually(
    async () => {
      const found = await sandboxCallbacks(env, outcome);
      return found.length > 0 && found.every((c) => c.status !== 'PENDING' && c.status !== 'HELD') ? found : null;
    },
    { timeoutMs, what: `the sandbox's deliveries about order ${outcome.mercOrderNo} to finish` },
  );
}

/** Waits until the merchant's database reaches a final state for the order (the worker may lag the app by a pass). */
export function settled(env, no, { timeoutMs = 15_000 } = {}) {
  return eventually(
    async () => {
      const o = await env.merchant.order(no);
      const contract = o.contract?.state;
      return o.order.payment !== 'PENDING' && o.order.payment !== 'PREPARING' && contract !== 'PENDING' ? o : null;
    },
    { timeoutMs, what: `order ${no} final in the merchant's database` },
  );
}

/** Milliseconds from the last callback the merchant applied for the order to the app's outcome. */
export function callbackToOutcomeMs(run, v) {
  const applied = v.merchant.callbacks.filter((c) => c.outcome === 'APPLIED' && (c.kind === 'payment' || c.kind === 'contract'));
  if (applied.length === 0) return null;
  const last = Math.max(...applied.map((c) => c.receivedMs));
  return run.doneAtMs - last;
}
