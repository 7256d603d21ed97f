// Control of the @kit.ArkData preferences test double for the Node suites: make the phone fail to
// save the pending order, as a full or broken disk would.
import { preferencesTestDouble } from '../doubles/ArkData.mjs';

export function failNextPreferencesPuts(count) {
  preferencesTestDouble.failPuts(count);
}
