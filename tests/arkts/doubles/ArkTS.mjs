// Test double of @kit.ArkTS: util.generateRandomUUID over Node's crypto.randomUUID.
import { randomUUID } from 'node:crypto';

export const util = {
  generateRandomUUID() {
    return randomUUID();
  },
};

export default { util };
