// SIMULATIONS for the demo (test doubles): a merchant server and a Payment Kit cashier in memory,
// and a virtual clock. They exist because the real cashier runs only on a phone; the sandbox will
// replace them. Their orderStr carries a placeholder sign: nothing here signs or verifies.

/** A clock that moves only when the flow waits or a simulated call takes time. */
export function virtualClock(startMs) {
  let now = startMs;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/**
 * A simulated merchant server.
 * scenario: { ticketAgeMs, statuses: [{payment, contract, contractId?}], latencyMs }
 * The last status repeats once the list is used up.
 */
export function simulatedMerchant(clock, scenario) {
  const mercOrderNo = 'SIM-ORDER-0001';
  let queries = 0;
  return {
    label: 'SIMULATED merchant server (in memory)',
    async fetchTicket() {
      clock.advance(scenario.latencyMs);
      const orderStr = JSON.stringify({
        app_id: 'SIM-APP',
        merc_no: '101610000000',
        prepay_id: 'SIM-PREPAY-0000000000000001',
        timestamp: String(clock.now() - scenario.ticketAgeMs),
        noncestr: 'simulatednonce0001',
        sign: 'SIMULATED-SIGNATURE-NOT-VERIFIED',
        auth_id: 'SIM-AUTH-0001',
        reserved: '{"sandbox_flag": true}',
      });
      return JSON.stringify({ orderStr, mercOrderNo, mercContractCode: 'SIM-CONTRACT-0001' });
    },
    async fetchStatus(no) {
      clock.advance(scenario.latencyMs);
      const s = scenario.statuses[Math.min(queries, scenario.statuses.length - 1)];
      queries += 1;
      return JSON.stringify({ mercOrderNo: no, payment: s.payment, contract: s.contract, contractId: s.contractId ?? null, updatedAt: clock.now() });
    },
  };
}

/** A simulated Payment Kit cashier: resolves, or rejects with a Payment Kit code. */
export function simulatedCashier(clock, scenario) {
  return {
    label: 'SIMULATED Payment Kit cashier (in memory)',
    async requestPayment(orderStr) {
      JSON.parse(orderStr); // the real cashier needs a JSON string too
      clock.advance(scenario.userMs);
      if (scenario.cashierError !== undefined) {
        const e = new Error(scenario.cashierError.message);
        e.code = scenario.cashierError.code;
        throw e;
      }
    },
  };
}
