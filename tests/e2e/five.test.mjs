// The five scenarios of `make demo`, asserted: the app's outcome, the merchant's database, its
// status endpoint and Payment Kit (the sandbox) agree in each.
import { after, before, describe, it } from 'node:test';
import { FIVE } from './lib/five.mjs';
import { assertAgree, requireAllPieces, narrator, openStack } from './lib/fixture.mjs';

requireAllPieces();

describe('the five demo scenarios over the real servers', () => {
  let env;
  before(async () => {
    env = await openStack({ label: 'five' });
  });
  after(() => env?.close());

  for (const scenario of FIVE) {
    it(scenario.title, async (t) => {
      const step = narrator(t);
      const result = await scenario.run(env, step);
      assertAgree(result.checks, step);
    });
  }
});
