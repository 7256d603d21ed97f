// `import paysign from 'libpaysign.so'` on Node: the host build of the real library.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from '../project.mjs';

const require = createRequire(import.meta.url);
const addon = require(process.env.PAYSIGN_NODE_ADDON || join(root, 'target/node/paysign.node'));
export default addon;
