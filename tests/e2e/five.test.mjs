// The five scenarios of `make demo`, asserted: the app's outcome, the merchant's database, its
// status endpoint and Payment Kit (the sandbox) agree in each.
import { after, before, describe, it } from 'node:test';
import { FIVE } from './lib/five.mjs';
import { assertAgree, missingPieces, narrator, openStack } from './lib/fixture.mjs';

const skip = missingPieces();

describe('the five demo scenarios over the real servers', { skip }, () => {
  let env;
  before(async () => {
    env = await openStack({ label: 'five' });
  });
  after(() => env?.close());

  for (const scenario of FIVE) {
    it(scenario.title, async (t) => {
      const step = narrator(t);
      const result = await scenario.run(env, step);
      if (result.missing) {
        t.skip(`missing: ${result.missing}`);
        return;
      }
      assertAgree(result.checks, step);
    });
  }
});
