// Test double of the Payment Kit cashier (it needs a phone and a user): each call follows the
// current script — return, reject with a Payment Kit code, throw at once, or never return.
const script = { mode: 'return', code: 0, message: '' };
const calls = [];
const held = [];

export function cashierSucceeds() {
  Object.assign(script, { mode: 'return', code: 0, message: '' });
}
export function cashierFailsWith(code, message) {
  Object.assign(script, { mode: 'reject', code, message });
}
export function cashierThrowsAtOnce(code, message) {
  Object.assign(script, { mode: 'throw', code, message });
}
export function cashierNeverReturns() {
  Object.assign(script, { mode: 'never', code: 0, message: '' });
}
/** Lets every cashier held by cashierNeverReturns() return now, as a user finishing would. */
export function releaseHeldCashiers() {
  held.splice(0).forEach((resolve) => resolve());
}
export function cashierCallCount() {
  return calls.length;
}
export function lastCashierOrderStr() {
  return calls.length > 0 ? calls[calls.length - 1] : '';
}
export function resetCashier() {
  calls.length = 0;
  held.length = 0;
  cashierSucceeds();
}

function paymentKitError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

export function openScriptedCashier(context, orderStr) {
  if (context === undefined || context === null) throw paymentKitError(401, 'Parameter error: context');
  calls.push(orderStr);
  switch (script.mode) {
    case 'throw':
      throw paymentKitError(script.code, script.message);
    case 'reject':
      return new Promise((_, reject) => setTimeout(() => reject(paymentKitError(script.code, script.message)), 5));
    case 'never':
      return new Promise((resolve) => held.push(resolve));
    default:
      return new Promise((resolve) => setTimeout(resolve, 5));
  }
}
