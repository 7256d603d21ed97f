// Loads the real host build of libpaysign (make host-lib) and builds test inputs.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const addonPath = resolve(process.env.PAYSIGN_NODE_ADDON || join(root, 'target/node/paysign.node'));
if (!existsSync(addonPath)) {
  throw new Error(`${addonPath} is missing: run \`make host-lib\` first`);
}
export const paysign = createRequire(import.meta.url)(addonPath);

export const MINUTE = 60_000;

/** A well-formed orderStr object; `overrides` replace or (with undefined) remove fields. */
export function orderFields(timestampMs, overrides = {}) {
  const fields = {
    app_id: '101831234',
    merc_no: '101610000123',
    prepay_id: '1250701172358089759170412',
    timestamp: String(timestampMs),
    noncestr: '6f18060eee669126b98e474407cc0682',
    sign: 'T2VTK3hJTnhzaWduYXR1cmU=',
    auth_id: '101610000031001',
    reserved: '{"sandbox_flag": true}',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete fields[k];
    else fields[k] = v;
  }
  return fields;
}

export const orderStr = (timestampMs, overrides) => JSON.stringify(orderFields(timestampMs, overrides));

/** The error table as docs/native-api.md publishes it: [{code, kind}]. */
export function documentedErrors() {
  const doc = readFileSync(join(root, 'docs/native-api.md'), 'utf8');
  return doc
    .split('\n')
    .map((line) => line.split('|').map((c) => c.trim()))
    .filter((cells) => /^\d{4}$/.test(cells[1] ?? ''))
    .map((cells) => ({ code: Number(cells[1]), kind: cells[2] }));
}

/** Runs `fn`; returns {value} or {error}. */
export function attempt(fn) {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}
