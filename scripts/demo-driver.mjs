// Drives one pay-and-sign flow through the real native library: the library decides, this shell
// performs each action with the merchant server and cashier it is given, and feeds the result back.
// The same loop the HAR's ArkTS shell runs; the merchant, cashier and clock are parameters so the
// simulation (scripts/demo-sim.mjs) can be swapped for the sandbox.

/**
 * @param {object} native     the loaded libpaysign (paysign.node)
 * @param {object} io         { merchant: {fetchTicket(), fetchStatus(no)}, cashier: {requestPayment(orderStr)}, clock: {now(), sleep(ms)} }
 * @param {object} config     FlowConfig for newFlow
 * @param {(line: object) => void} onStep  called with {event, action} for every step
 * @returns {Promise<object>} the outcome
 */
export async function runFlow(native, io, config, onStep) {
  let state = native.newFlow(config);
  let event = { kind: 'STARTED' };
  for (let steps = 0; steps < 10_000; steps += 1) {
    const stamped = { ...event, nowMs: io.clock.now() };
    const { state: next, action } = native.stepFlow(state, stamped);
    state = next;
    onStep({ event: stamped, action });
    if (action.kind === 'DONE') return action.outcome;
    event = await perform(io, action);
  }
  throw new Error('the flow did not end in 10000 steps');
}

async function perform(io, action) {
  switch (action.kind) {
    case 'FETCH_TICKET':
      try {
        return { kind: 'TICKET_FETCHED', body: await io.merchant.fetchTicket() };
      } catch (e) {
        return failed('TICKET_FAILED', e);
      }
    case 'OPEN_CASHIER':
      try {
        await io.cashier.requestPayment(action.orderStr);
        return { kind: 'CASHIER_RETURNED' };
      } catch (e) {
        return { kind: 'CASHIER_FAILED', errorCode: typeof e.code === 'number' ? e.code : -1, errorMessage: String(e.message) };
      }
    case 'QUERY_STATUS':
      try {
        return { kind: 'STATUS_FETCHED', body: await io.merchant.fetchStatus(action.mercOrderNo) };
      } catch (e) {
        return failed('STATUS_FAILED', e);
      }
    case 'WAIT':
      await io.clock.sleep(action.waitMs);
      return { kind: 'TIMER_FIRED' };
    default:
      throw new Error(`unknown action ${action.kind}`);
  }
}

function failed(kind, e) {
  const event = { kind, errorMessage: String(e.message) };
  if (typeof e.httpStatus === 'number') event.httpStatus = e.httpStatus;
  return event;
}
