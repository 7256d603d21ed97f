// The app side of an end-to-end run: the HAR's real ArkTS shell (paysign/Index.ets, transpiled as
// the hypium suites run it: tests/arkts/node/hooks.mjs) over the real host build of libpaysign
// (target/node/paysign.node), with the OS kits' test doubles — NetworkKit's http over real
// loopback HTTP, ArkData preferences, hilog — and `sandboxCashier`, the HAR's cashier over
// paysign-sandbox, standing in for the phone's Payment Kit cashier screen.
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let loaded = null;

/** A stand-in for the UIAbilityContext (the OS object the HAR passes to the kits). */
export const APP_CONTEXT = Object.freeze({ description: 'test double of the UIAbilityContext (Node run)' });

/** Loads the HAR once per process; the hooks must be registered before the first `.ets` import. */
export async function loadHar() {
  if (loaded) return loaded;
  register(pathToFileURL(join(root, 'tests/arkts/node/hooks.mjs')).href, import.meta.url);
  process.setSourceMapsEnabled(true);
  const har = await import('paysign');
  const hilog = await import(pathToFileURL(join(root, 'tests/arkts/harness/HilogRecorder.mjs')).href);
  loaded = new App(har, hilog);
  return loaded;
}

export class App {
  constructor(har, hilog) {
    this.har = har;
    this.hilog = hilog;
  }

  /** Whether the HAR on this checkout exports `name` (pieces landing from other work). */
  has(name) {
    return typeof this.har[name] === 'function';
  }

  /** The merchant server options the app uses: plain http is allowed for loopback tests only. */
  merchantOptions(merchantUrl, user) {
    return { baseUrl: merchantUrl, allowHttpForTesting: true, headers: { 'X-Paysign-User': user } };
  }

  /**
   * One purchase: payAndSign with the merchant server and the sandbox cashier playing `decision`.
   * `onLine(text)` hears the HAR's own log lines (the reducer's actions); `beforeCashier(orderStr)`
   * runs as the cashier opens, `afterCashier(code, orderStr)` once it answered. Resolves with the outcome and when it arrived (`doneAtMs`,
   * this machine's clock).
   */
  async pay({ merchantUrl, sandboxUrl, user, productId = 'vip-month', decision = 'PAY_AND_SIGN', flow, idempotencyKey, onLine, onProgress, beforeCashier, afterCashier, cancellation, clockSkewMs }) {
    const inner = this.har.sandboxCashier({ baseUrl: sandboxUrl, decision });
    const cashier = async (context, orderStr) => {
      let code = 0;
      if (beforeCashier) await beforeCashier(orderStr);
      try {
        await inner(context, orderStr);
      } catch (e) {
        code = e.code;
        throw e;
      } finally {
        if (afterCashier) await afterCashier(code, orderStr);
      }
    };
    const options = {
      merchant: this.merchantOptions(merchantUrl, user),
      orderRequest: { productId },
      cashier,
      flow,
    };
    if (idempotencyKey) options.idempotencyKey = idempotencyKey;
    if (onProgress) options.onProgress = onProgress;
    if (cancellation) options.cancellation = cancellation;
    const unsubscribe = onLine ? this.hilog.onHilog((line) => onLine(line.replace(/^[DIWE] 0x[0-9a-f]+\/paysign: /, ''))) : () => {};
    const restoreClock = clockSkewMs ? skewWallClock(clockSkewMs) : () => {};
    try {
      const outcome = await this.har.payAndSign(APP_CONTEXT, options);
      return { outcome, doneAtMs: realNow() };
    } finally {
      restoreClock();
      unsubscribe();
    }
  }

  /** resumePending: the orders saved before an earlier run's cashier, confirmed again. */
  async resume({ merchantUrl, user, flow }) {
    return this.har.resumePending(APP_CONTEXT, { merchant: this.merchantOptions(merchantUrl, user), flow });
  }
}

const originalNow = Date.now.bind(Date);
function realNow() {
  return originalNow();
}

// The phone's wall clock set wrong by `skewMs`: the HAR's Date.now() (which judges the orderStr's
// age when the server sends no serverTimeMs) sees it; its deadlines run on a monotonic clock.
function skewWallClock(skewMs) {
  Date.now = () => originalNow() + skewMs;
  return () => {
    Date.now = originalNow;
  };
}
