// Test double of @kit.PaymentKit: the phone's cashier cannot run here, so requestPayment is the
// scripted cashier of tests/arkts/harness/ScriptedCashier.mjs.
import { openScriptedCashier } from '../harness/ScriptedCashier.mjs';

export const paymentService = {
  requestPayment: (context, orderStr) => openScriptedCashier(context, orderStr),
};
export default { paymentService };
