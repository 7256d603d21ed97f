// The five scenarios of `make demo` (and the first tests of `make e2e`). Each runs against
// `env` ({app, sandbox, merchant, mercNo}), narrates through `step(who, text)`, and returns
// {checks: [[what, ok, detail]...], latencyMs?}; a scenario that cannot go on returns its failed check.
import { eventually } from './stack.mjs';
import { agreement, callbackToOutcomeMs, expireOrder, purchase, settled, views } from './scenarios.mjs';

function noRetryableError(outcome) {
  return [
    'no "try again" on a paid order',
    !outcome.error || (!outcome.error.retryable && !['CANCELED', 'PAYMENT_FAILED'].includes(outcome.error.kind)),
    outcome.error ? `error ${outcome.error.code} ${outcome.error.kind}, retryable ${outcome.error.retryable}` : 'no error',
  ];
}

function learnedFromCallback(v, kind) {
  const applied = v.merchant.callbacks.find((c) => c.kind === kind && c.outcome === 'APPLIED');
  return [
    `${kind} learned from a verified callback`,
    applied,
    applied ? `callback ${applied.callbackId} verified (SM2) and applied` : `no applied ${kind} callback in the merchant's records: ${JSON.stringify(v.merchant.callbacks)}`,
  ];
}

export const FIVE = [
  {
    title: 'pay and sign',
    async run(env, step) {
      const run = await purchase(env, { decision: 'PAY_AND_SIGN', step });
      await settled(env, run.outcome.mercOrderNo);
      const v = await views(env, run.outcome, run.user);
      step('sandbox', `Payment Kit: order ${v.sandbox.order}, contract ${v.sandbox.contract}; callbacks ${v.sandbox.callbacks.map((c) => `${c.kind} ${c.status}`).join(', ')}`);
      for (const c of v.merchant.callbacks) step('merchant', `${c.kind} callback ${c.callbackId}: SM2 signature verified, ${c.outcome.toLowerCase().replace('_', ' ')}`);
      step('merchant', `db: payment ${v.merchant.payment}, contract ${v.merchant.contract}, contractId ${v.merchant.contractId}`);
      env.lastSigned = { contractCode: run.outcome.mercContractCode, contractId: run.outcome.contractId, user: run.user };
      return {
        checks: [
          ...agreement(run.outcome, v, { payment: 'PAID', contract: 'SIGNED' }),
          learnedFromCallback(v, 'payment'),
          learnedFromCallback(v, 'contract'),
          ['no error', !run.outcome.error, run.outcome.error ? `error ${run.outcome.error.code}` : 'none'],
        ],
        latencyMs: callbackToOutcomeMs(run, v),
      };
    },
  },
  {
    title: 'a withholding charge against that contract',
    async run(env, step) {
      const signed = env.lastSigned;
      if (!signed) return { checks: [['scenario 1 signed a contract to charge', false, 'no signed contract']] };
      step('merchant', `admin: charge contract ${signed.contractCode} for vip-month (免密代扣)`);
      const res = await env.merchant.charge(signed.contractCode, { productId: 'vip-month' });
      if (res.status !== 200) {
        const why = JSON.stringify(res.body).slice(0, 300);
        return { checks: [['the merchant accepted the charge', false, `admin answered HTTP ${res.status}: ${why}`]] };
      }
      const no = res.body.mercOrderNo ?? res.body.merc_order_no;
      step('merchant', `debit ${no} accepted: ${res.body.state}, waiting for its notification`);
      const known = await eventually(async () => (await env.sandbox.get(`/sandbox/debits/${env.mercNo}/${no}`)).status === 200, {
        timeoutMs: 3_000,
        what: 'the debit in the sandbox',
      }).catch(() => false);
      if (!known) return { checks: [['the sandbox received the debit', false, 'not within 3 s']] };
      const debit = await eventually(
        async () => {
          const d = await env.merchant.debit(no);
          return d.state !== 'PENDING' && d.state !== 'SCHEDULED' ? d : null;
        },
        { timeoutMs: 20_000, what: `debit ${no} final` },
      );
      // The merchant applies the notification before its answer reaches the sandbox, so the
      // sandbox records the delivery a moment after the merchant's state changed.
      const debitCallbacks = async () => (await env.sandbox.callbacks({ mercNo: env.mercNo })).filter((c) => c.body.includes(`"${no}"`));
      const callbacks = await eventually(async () => {
        const found = await debitCallbacks();
        return found.some((c) => c.status === 'DELIVERED') ? found : null;
      }, { timeoutMs: 3_000, what: `the sandbox's record of debit ${no}'s delivered notification` }).catch(debitCallbacks);
      step('merchant', `debit ${no}: ${debit.state}, ${debit.amountFen ?? debit.amount_fen} fen`);
      step('sandbox', `Payment Kit: callbacks ${callbacks.map((c) => `${c.kind} ${c.status}`).join(', ') || 'none'}`);
      const sandboxDebit = (await env.sandbox.get(`/sandbox/debits/${env.mercNo}/${no}`)).body;
      const applied = (await env.merchant.contract(signed.contractCode)).callbacks ?? [];
      return {
        checks: [
          ['debit charged', debit.state === 'PAID', `merchant db says ${debit.state}`],
          ['against the signed contract', (debit.contractId ?? debit.contract_id) === signed.contractId, `contractId ${debit.contractId ?? debit.contract_id}`],
          ['Payment Kit agrees', sandboxDebit?.status === 'TRX_SUCCESS', `Payment Kit says ${sandboxDebit?.status}`],
          ['the amount', (debit.amountFen ?? debit.amount_fen) === 1500 && (sandboxDebit?.totalAmount ?? sandboxDebit?.amount) === 1500, `merchant ${debit.amountFen ?? debit.amount_fen} fen, Payment Kit ${JSON.stringify(sandboxDebit)}`],
          // The worker queries a debit only 30 s after it is sent, so a PAID within the wait came
          // from the notification: delivered by Payment Kit, and no query made by the merchant.
          [
            'learned from its notification',
            callbacks.some((c) => c.status === 'DELIVERED') && (debit.checkAttempts ?? debit.check_attempts) === 0,
            `${callbacks.map((c) => `${c.kind} ${c.status}`).join(', ') || 'no callback'}; merchant queries: ${debit.checkAttempts ?? debit.check_attempts}`,
          ],
        ],
      };
    },
  },
  {
    title: 'pay only (signing declined)',
    async run(env, step) {
      const run = await purchase(env, { decision: 'PAY_ONLY', step });
      await settled(env, run.outcome.mercOrderNo);
      const v = await views(env, run.outcome, run.user);
      step('merchant', `db: payment ${v.merchant.payment}, contract ${v.merchant.contract}`);
      step('sandbox', `Payment Kit: order ${v.sandbox.order}, contract ${v.sandbox.contract}`);
      const e = run.outcome.error;
      return {
        checks: [
          ...agreement(run.outcome, v, { payment: 'PAID', contract: 'NOT_SIGNED' }),
          ['reported as paid, not signed (6001)', e?.code === 6001, e ? `error ${e.code} ${e.kind}: ${e.action ?? ''}` : 'no error'],
          noRetryableError(run.outcome),
          ['final', run.outcome.isFinal === true, `isFinal ${run.outcome.isFinal}`],
        ],
      };
    },
  },
  {
    title: 'cancel',
    async run(env, step) {
      // Payment Kit sends no callback on cancel and the order stays payable until its expireTime,
      // which the sandbox makes happen now instead of the demo waiting for it.
      const afterCashier = (code, orderStr) => (code === 1001930000 ? expireOrder(env, orderStr, step) : undefined);
      const run = await purchase(env, { decision: 'CANCEL', step, afterCashier });
      await settled(env, run.outcome.mercOrderNo);
      const v = await views(env, run.outcome, run.user);
      step('merchant', `db: payment ${v.merchant.payment} (the worker's query found the order closed unpaid)`);
      step('sandbox', `Payment Kit: order ${v.sandbox.order}; callbacks: ${v.sandbox.callbacks.length}`);
      const e = run.outcome.error;
      return {
        checks: [
          ...agreement(run.outcome, v, { payment: 'NOT_PAID', contract: 'NOT_SIGNED' }),
          ['confirmed not paid', ['CANCELED', 'NOT_PAID'].includes(run.outcome.payment) && run.outcome.unknownOutcome === false, `payment ${run.outcome.payment}, unknownOutcome ${run.outcome.unknownOutcome}`],
          ['no callback for a cancel', v.sandbox.callbacks.length === 0, `${v.sandbox.callbacks.length}`],
          ['error says cancelled', e?.code === 4000 || e?.code === 4100, e ? `error ${e.code} ${e.kind}` : 'no error'],
        ],
      };
    },
  },
  {
    title: 'the payment callback lost',
    async run(env, step) {
      step('sandbox', 'fault armed: drop the next notification (the payment callback)');
      await env.sandbox.armCallbackFaults({ drop: 1 });
      const run = await purchase(env, { decision: 'PAY_AND_SIGN', step });
      await settled(env, run.outcome.mercOrderNo);
      const v = await views(env, run.outcome, run.user);
      const dropped = v.sandbox.callbacks.filter((c) => c.status === 'DROPPED');
      const paymentCallback = v.merchant.callbacks.find((c) => c.kind === 'payment');
      step('sandbox', `Payment Kit: callbacks ${v.sandbox.callbacks.map((c) => `${c.kind} ${c.status}`).join(', ')}`);
      step('merchant', `db: payment ${v.merchant.payment} with no payment callback received: the reconcile worker asked Payment Kit`);
      return {
        checks: [
          ...agreement(run.outcome, v, { payment: 'PAID', contract: 'SIGNED' }),
          ['the payment callback was dropped', dropped.some((c) => c.kind === 'PAYMENT' || /pay/i.test(c.kind)), JSON.stringify(v.sandbox.callbacks)],
          ['the merchant never received it', paymentCallback === undefined, paymentCallback ? `received ${paymentCallback.callbackId}` : 'none received'],
        ],
      };
    },
  },
];
