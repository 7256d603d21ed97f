// ESM loader hooks that let Node run the HAR's ArkTS code and its hypium suites:
// - `.ets` files are transpiled with ohos-typescript (types are erased, nothing else changes);
// - `libpaysign.so` is the host build of the real library (target/node/paysign.node);
// - `@kit.*` are the test doubles in tests/arkts/doubles (the OS kits do not exist here);
// - `paysign` is the HAR's Index.ets, as the sample app imports it;
// - extensionless relative imports are retried with .ets/.mjs/.js, and @ohos/hypium's files (ESM
//   without "type": "module") are loaded as ES modules.
import ts from 'ohos-typescript';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { root } from '../project.mjs';

const nativeAddon = process.env.PAYSIGN_NODE_ADDON || join(root, 'target/node/paysign.node');
const doublesDir = join(root, 'tests/arkts/doubles');
const tryExtensions = ['.ets', '.mjs', '.js'];

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'libpaysign.so') {
    if (!existsSync(nativeAddon)) {
      throw new Error(`libpaysign.so: ${nativeAddon} is missing; run \`make host-lib\` first`);
    }
    return { url: pathToFileURL(join(root, 'tests/arkts/node/native.mjs')).href, shortCircuit: true };
  }
  if (specifier.startsWith('@kit.')) {
    const double = join(doublesDir, `${specifier.slice('@kit.'.length)}.mjs`);
    if (!existsSync(double)) throw new Error(`no test double for ${specifier} in tests/arkts/doubles`);
    return { url: pathToFileURL(double).href, shortCircuit: true };
  }
  if (specifier === 'paysign') {
    return { url: pathToFileURL(join(root, 'paysign/Index.ets')).href, shortCircuit: true };
  }
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.startsWith('file:')) {
    const base = new URL(specifier, context.parentURL);
    const path = fileURLToPath(base);
    if (!existsSync(path) || !/\.[a-z]+$/.test(path)) {
      for (const ext of tryExtensions) {
        if (existsSync(path + ext)) return { url: pathToFileURL(path + ext).href, shortCircuit: true };
      }
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.endsWith('.ets')) {
    const path = fileURLToPath(url);
    const out = ts.transpileModule(readFileSync(path, 'utf8'), {
      fileName: path,
      compilerOptions: {
        target: ts.ScriptTarget.ES2021,
        module: ts.ModuleKind.ES2020,
        experimentalDecorators: true,
        sourceMap: false,
        inlineSourceMap: true,
      },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  if (url.includes('/node_modules/@ohos/hypium/')) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
