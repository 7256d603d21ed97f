// Format check of every .ets and .json5 file with oxk (the ArkTS formatter built on oxc).
// oxk has no check flag, so its binding formats each file in memory and this compares.
// `node tests/arkts/format.mjs --write` rewrites the files instead (what a developer runs).
//
// The binding is oxk's prebuilt linux-x64 package: the `@ohos-rs/oxk` wrapper lists platform
// packages that were never published, which makes `npm ci` refuse the lockfile. The wrapper's only
// job is to hand non-JS files (.json5) to prettier; the formatFile callback below does that.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { projectFiles, rel } from './project.mjs';

const require = createRequire(import.meta.url);
let oxk;
try {
  oxk = require('@ohos-rs/oxk-linux-x64-gnu');
} catch (e) {
  console.log(`arkts-format: oxk's binary for linux x64 (glibc) did not load: ${e.message}`);
  process.exit(1);
}

const noPlugins = async () => [];
const keepEmbedded = async (options, tagName, code) => code;
const formatFile = async (options, parserName, fileName, code) =>
  prettier.format(code, { ...options, parser: parserName, filepath: fileName });
const format = (name, source, options) => oxk.format(name, source, options, noPlugins, keepEmbedded, formatFile);

// Our style: 2 spaces, single quotes, lines up to 120 characters; quoted keys stay quoted (ArkTS
// wants them in Record literals).
const options = { printWidth: 120, singleQuote: true, tabWidth: 2, quoteProps: 'preserve' };
const write = process.argv.includes('--write');

let bad = 0;
// The native library's types package is generated (scripts/gen-dts) and checked by dts-check.
const files = projectFiles(['.ets', '.json5']).filter((f) => !rel(f).startsWith('paysign/src/main/cpp/types/'));
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const result = await format(rel(file), source, options);
  if (result.errors.length > 0) {
    bad += 1;
    console.log(`${rel(file)}: oxk cannot format it:\n  ${result.errors.join('\n  ')}`);
    continue;
  }
  if (result.code === source) continue;
  if (write) {
    writeFileSync(file, result.code);
    console.log(`formatted ${rel(file)}`);
    continue;
  }
  bad += 1;
  const want = result.code.split('\n');
  const have = source.split('\n');
  const line = have.findIndex((l, i) => l !== want[i]);
  console.log(`${rel(file)}:${line + 1}: not formatted (oxk wants: ${JSON.stringify(want[line] ?? '')})`);
}
console.log(`arkts-format: ${files.length} files, ${bad} not formatted${bad ? ' (run: node tests/arkts/format.mjs --write)' : ''}`);
process.exit(bad === 0 ? 0 : 1);
