// Type check and ArkTS strict lint of every .ets file (HAR, sample app, tests) with ohos-typescript,
// the TypeScript fork inside the ArkTS compiler, through its compiler API: `needDoArkTsLinter`
// types `import x from 'libX.so'` imports, and ArkTSLinter_1_1 is the linter DevEco runs.
// Exits 1 on any error; prints each diagnostic as file:line:col.
import ts from 'ohos-typescript';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, nativeDts, projectFiles, rel, etsOptions } from './project.mjs';

const started = Date.now();
const nativeTypes = process.env.PAYSIGN_NATIVE_DTS || nativeDts;
if (!existsSync(nativeTypes)) {
  console.error(`arkts-check: ${rel(nativeTypes)} is missing (scripts/gen-dts writes it)`);
  process.exit(1);
}

const sources = projectFiles(['.ets']);
const declarations = ['kits.d.ts', 'arkui.d.ts', 'globals.d.ts'].map((f) => join(root, 'tests/arkts/types', f));

const options = {
  target: ts.ScriptTarget.ES2021,
  module: ts.ModuleKind.ES2020,
  moduleResolution: ts.ModuleResolutionKind.NodeJs,
  lib: ['lib.es2021.d.ts'],
  types: [],
  strict: true,
  noEmit: true,
  noImplicitReturns: true,
  allowSyntheticDefaultImports: true,
  experimentalDecorators: true,
  baseUrl: root,
  paths: {
    'libpaysign.so': [nativeTypes],
    paysign: ['paysign/Index.ets'],
    // hypium ships index.ets beside index.d.ts; the .ets one re-exports untyped .js files.
    '@ohos/hypium': ['node_modules/@ohos/hypium/index.d.ts'],
  },
  needDoArkTsLinter: true,
  ets: etsOptions,
};

const host = ts.createIncrementalCompilerHost(options);
const builder = ts.createIncrementalProgram({ rootNames: [...declarations, ...sources], options, host });
const program = builder.getProgram();

const diagnostics = [
  ...program.getOptionsDiagnostics(),
  ...program.getGlobalDiagnostics(),
  ...program.getSyntacticDiagnostics(),
  ...program.getSemanticDiagnostics(),
];
const checked = Date.now();
const lint = ts.ArkTSLinter_1_1.runArkTSLinter(builder, undefined, undefined, '1.1');
const linted = Date.now();

const seen = new Set();
let errors = 0;
for (const d of [...diagnostics, ...lint]) {
  const where = d.file
    ? (() => {
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${rel(d.file.fileName)}:${line + 1}:${character + 1}`;
      })()
    : '(project)';
  const text = `${where}: ${ts.DiagnosticCategory[d.category].toLowerCase()} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  if (seen.has(text)) continue;
  seen.add(text);
  if (d.category === ts.DiagnosticCategory.Error) errors += 1;
  console.log(text);
}
console.log(
  `arkts-check: ${sources.length} .ets files, ${errors} errors, ${seen.size - errors} warnings ` +
    `(type check ${checked - started} ms, ArkTS lint ${linted - checked} ms)`,
);
process.exit(errors === 0 ? 0 : 1);
