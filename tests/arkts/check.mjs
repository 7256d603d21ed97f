// Type check and ArkTS strict lint of every .ets file (HAR, sample app, tests) with ohos-typescript,
// the TypeScript fork inside the ArkTS compiler, through its compiler API: `needDoArkTsLinter`
// types `import x from 'libX.so'` imports, and ArkTSLinter_1_1 is the linter DevEco runs.
// Also: the public API's types hold no any, unknown or bare object.
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

// The public API (what paysign/Index.ets exports) must not contain any, unknown or bare object
// anywhere in its types: walk every exported type through properties, call signatures, unions and
// type arguments, within the project's own declarations (kit and lib types are not descended).
const publicProblems = [];
{
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(root, 'paysign/Index.ets'));
  const ours = (decl) => {
    const file = decl.getSourceFile().fileName;
    return file === nativeTypes || (file.startsWith(root + '/paysign/') && !file.includes('/node_modules/'));
  };
  const visited = new Set();
  const visit = (type, path) => {
    if (visited.has(type)) return;
    visited.add(type);
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return publicProblems.push(`${path}: any`);
    if (f & ts.TypeFlags.Unknown) return publicProblems.push(`${path}: unknown`);
    if (f & ts.TypeFlags.NonPrimitive) return publicProblems.push(`${path}: object`);
    if (type.symbol?.name === 'Object' && !(type.symbol.declarations ?? []).some(ours)) {
      return publicProblems.push(`${path}: Object`);
    }
    if (type.isUnionOrIntersection()) return type.types.forEach((t) => visit(t, path));
    for (const arg of checker.getTypeArguments?.(type) ?? type.aliasTypeArguments ?? []) visit(arg, `${path}<>`);
    for (const sig of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const p of sig.getParameters()) visit(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration ?? index), `${path}(${p.name})`);
      visit(sig.getReturnType(), `${path}()`);
    }
    const decls = type.symbol?.declarations ?? [];
    if (decls.length > 0 && !decls.some(ours)) return;
    for (const prop of type.getProperties()) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      if (!decl || !ours(decl)) continue;
      visit(checker.getTypeOfSymbolAtLocation(prop, decl), `${path}.${prop.name}`);
    }
    const index = type.getStringIndexType?.() ?? undefined;
    if (index) visit(index, `${path}[string]`);
  };
  const moduleSymbol = index && checker.getSymbolAtLocation(index);
  const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
  if (exported.length === 0) publicProblems.push('paysign/Index.ets exports nothing');
  for (const sym of exported) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decl = target.valueDeclaration ?? target.declarations?.[0];
    if (target.flags & (ts.SymbolFlags.Type)) visit(checker.getDeclaredTypeOfSymbol(target), sym.name);
    if (target.flags & ts.SymbolFlags.Value && decl) visit(checker.getTypeOfSymbolAtLocation(target, decl), sym.name);
  }
}

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
const warnings = seen.size - errors;
for (const p of publicProblems) console.log(`paysign/Index.ets: error: the public API type ${p}`);
errors += publicProblems.length;
console.log(
  `arkts-check: ${sources.length} .ets files, ${errors} errors, ${warnings} warnings ` +
    `(type check ${checked - started} ms, ArkTS lint ${linted - checked} ms)`,
);
process.exit(errors === 0 ? 0 : 1);
