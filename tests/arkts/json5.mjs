// Every *.json5 of the DevEco project parses, and has the fields DevEco needs to build the app,
// the HAR and its tests: module types, abilities and pages that exist, resource references that
// resolve, the INTERNET permission, the HAR's main file and its native types package. Also: the
// HAR README's error tables list exactly the HAR's error codes.
import JSON5 from 'json5';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectFiles, rel, root } from './project.mjs';

const problems = [];
const problem = (file, text) => problems.push(`${rel(file)}: ${text}`);
const docs = new Map();

for (const file of [...projectFiles(['.json5']), join(root, 'build-profile.json5'), join(root, 'oh-package.json5')]) {
  if (docs.has(file)) continue;
  try {
    docs.set(file, JSON5.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    problem(file, `does not parse: ${e.message}`);
  }
}

const at = (path) => docs.get(join(root, path));
function need(file, doc, path, check = (v) => v !== undefined && v !== '', what = 'is missing') {
  const value = path.split('.').reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), doc);
  if (!check(value)) problem(file, `${path} ${what}`);
  return value;
}
const nonEmptyArray = (v) => Array.isArray(v) && v.length > 0;
const isString = (v) => typeof v === 'string' && v.length > 0;

// `$string:name`, `$media:name`, `$color:name`, `$profile:name` against a resources folder.
function resolves(file, resources, ref) {
  const m = /^\$(string|color|media|profile):(\w+)$/.exec(ref ?? '');
  if (!m) return problem(file, `${ref} is not a resource reference`);
  const [, kind, name] = m;
  const base = join(resources, 'base');
  let ok;
  if (kind === 'media') ok = ['png', 'jpg', 'svg', 'json'].some((ext) => existsSync(join(base, 'media', `${name}.${ext}`)));
  else if (kind === 'profile') ok = existsSync(join(base, 'profile', `${name}.json`));
  else {
    const table = join(base, 'element', `${kind}.json`);
    ok = existsSync(table) && JSON.parse(readFileSync(table, 'utf8'))[kind]?.some((e) => e.name === name);
  }
  if (!ok) problem(file, `${ref} does not resolve in ${rel(resources)}`);
}

function hvigorfile(dir, task) {
  const file = join(root, dir, 'hvigorfile.ts');
  if (!existsSync(file)) return problems.push(`${dir}/hvigorfile.ts is missing`);
  if (!readFileSync(file, 'utf8').includes(`system: ${task}`)) problem(file, `does not use ${task}`);
}

// Project level.
{
  const f = join(root, 'AppScope/app.json5');
  const app = at('AppScope/app.json5');
  need(f, app, 'app.bundleName', (v) => /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$/.test(v ?? ''), 'must be a reverse domain name');
  need(f, app, 'app.vendor');
  need(f, app, 'app.versionCode', Number.isInteger, 'must be an integer');
  need(f, app, 'app.versionName');
  resolves(f, join(root, 'AppScope/resources'), need(f, app, 'app.icon'));
  resolves(f, join(root, 'AppScope/resources'), need(f, app, 'app.label'));

  need(join(root, 'hvigor/hvigor-config.json5'), at('hvigor/hvigor-config.json5'), 'modelVersion');
  const pkg = at('oh-package.json5');
  need(join(root, 'oh-package.json5'), pkg, 'modelVersion');
  if (!isString(pkg?.devDependencies?.['@ohos/hypium'])) problem(join(root, 'oh-package.json5'), 'devDependencies must list @ohos/hypium');
  hvigorfile('.', 'appTasks');

  const f2 = join(root, 'build-profile.json5');
  const profile = docs.get(f2);
  const products = need(f2, profile, 'app.products', nonEmptyArray, 'must list products');
  for (const [i, p] of (products ?? []).entries()) {
    for (const key of ['name', 'compatibleSdkVersion', 'runtimeOS']) {
      if (!isString(p[key])) problem(f2, `app.products[${i}].${key} is missing`);
    }
  }
  need(f2, profile, 'app.buildModeSet', nonEmptyArray, 'must list build modes');
  const modules = need(f2, profile, 'modules', nonEmptyArray, 'must list the modules') ?? [];
  const names = modules.map((m) => m.name).sort().join(',');
  if (names !== 'entry,paysign') problem(f2, `modules are ${names}, expected entry,paysign`);
  for (const m of modules) {
    if (!existsSync(join(root, m.srcPath ?? '', 'src/main/module.json5'))) problem(f2, `module ${m.name}: ${m.srcPath}/src/main/module.json5 is missing`);
  }
}

// The HAR.
{
  const f = join(root, 'paysign/src/main/module.json5');
  const mod = at('paysign/src/main/module.json5');
  need(f, mod, 'module.name', (v) => v === 'paysign', 'must be paysign');
  need(f, mod, 'module.type', (v) => v === 'har', 'must be har');
  need(f, mod, 'module.deviceTypes', nonEmptyArray, 'must list device types');
  for (const key of ['abilities', 'pages', 'mainElement']) {
    if (mod?.module?.[key] !== undefined) problem(f, `module.${key} has no place in a HAR`);
  }
  const pf = join(root, 'paysign/oh-package.json5');
  const pkg = at('paysign/oh-package.json5');
  for (const key of ['name', 'version', 'description', 'license']) need(pf, pkg, key);
  const main = need(pf, pkg, 'main');
  if (main && !existsSync(join(root, 'paysign', main))) problem(pf, `main ${main} does not exist`);
  const types = pkg?.dependencies?.['libpaysign.so'];
  if (types !== 'file:./src/main/cpp/types/libpaysign') problem(pf, 'dependencies must map libpaysign.so to file:./src/main/cpp/types/libpaysign');
  const typesPkg = join(root, 'paysign/src/main/cpp/types/libpaysign/oh-package.json5');
  if (!existsSync(typesPkg)) problems.push(`${rel(typesPkg)} is missing`);
  else {
    const t = docs.get(typesPkg) ?? JSON5.parse(readFileSync(typesPkg, 'utf8'));
    if (t.name !== 'libpaysign.so') problem(typesPkg, 'name must be libpaysign.so');
    if (!t.types || !existsSync(join(dirname(typesPkg), t.types))) problem(typesPkg, 'types must name an existing .d.ts');
  }
  const bf = join(root, 'paysign/build-profile.json5');
  need(bf, at('paysign/build-profile.json5'), 'apiType', (v) => v === 'stageMode', 'must be stageMode');
  const targets = need(bf, at('paysign/build-profile.json5'), 'targets', nonEmptyArray, 'must list targets') ?? [];
  if (!targets.some((t) => t.name === 'ohosTest')) problem(bf, 'targets must include ohosTest (instrument tests)');
  hvigorfile('paysign', 'harTasks');

  const tf = join(root, 'paysign/src/ohosTest/module.json5');
  const test = at('paysign/src/ohosTest/module.json5');
  need(tf, test, 'module.name', (v) => v === 'paysign_test', 'must be paysign_test');
  need(tf, test, 'module.type', (v) => v === 'feature', 'must be feature');
  if (!existsSync(join(root, 'paysign/src/ohosTest/ets/test/List.test.ets'))) problems.push('paysign/src/ohosTest/ets/test/List.test.ets is missing');
}

// The sample app.
{
  const f = join(root, 'entry/src/main/module.json5');
  const mod = at('entry/src/main/module.json5')?.module;
  const res = join(root, 'entry/src/main/resources');
  need(f, { module: mod }, 'module.type', (v) => v === 'entry', 'must be entry');
  need(f, { module: mod }, 'module.deviceTypes', nonEmptyArray, 'must list device types');
  const abilities = need(f, { module: mod }, 'module.abilities', nonEmptyArray, 'must list abilities') ?? [];
  if (!abilities.some((a) => a.name === mod?.mainElement)) problem(f, `mainElement ${mod?.mainElement} is not one of the abilities`);
  for (const a of abilities) {
    if (!existsSync(join(root, 'entry/src/main', a.srcEntry ?? ''))) problem(f, `ability ${a.name}: srcEntry ${a.srcEntry} does not exist`);
    for (const key of ['icon', 'label', 'startWindowIcon', 'startWindowBackground', 'description']) resolves(f, res, a[key]);
  }
  resolves(f, res, mod?.description);
  resolves(f, res, mod?.pages);
  const pagesFile = join(res, 'base/profile', `${(mod?.pages ?? '').split(':')[1]}.json`);
  if (existsSync(pagesFile)) {
    for (const page of JSON.parse(readFileSync(pagesFile, 'utf8')).src ?? []) {
      if (!existsSync(join(root, 'entry/src/main/ets', `${page}.ets`))) problem(pagesFile, `page ${page} has no .ets file`);
    }
  }
  if (!(mod?.requestPermissions ?? []).some((p) => p.name === 'ohos.permission.INTERNET')) problem(f, 'requestPermissions must include ohos.permission.INTERNET');
  const pkg = at('entry/oh-package.json5');
  if (pkg?.dependencies?.paysign !== 'file:../paysign') problem(join(root, 'entry/oh-package.json5'), 'dependencies must map paysign to file:../paysign');
  need(join(root, 'entry/build-profile.json5'), at('entry/build-profile.json5'), 'apiType', (v) => v === 'stageMode', 'must be stageMode');
  hvigorfile('entry', 'hapTasks');
}

// The HAR README's error tables (zh and en) list exactly the PaysignErrorCode constants, which the
// hypium suite ErrorTable checks against the native library's table.
{
  // Generated from the Rust table (crates/paysign-core/tests/har_error_codes.rs).
  const enumText = readFileSync(join(root, 'paysign/src/main/ets/ErrorCode.ets'), 'utf8');
  const codes = [...enumText.matchAll(/^ {2}[A-Z_]+ = (\d+),$/gm)].map((m) => m[1]).join(',');
  const readme = readFileSync(join(root, 'paysign/README.md'), 'utf8');
  const halves = readme.split('## English');
  for (const [i, half] of halves.entries()) {
    const listed = [...half.matchAll(/^\| (\d{4}) \|/gm)].map((m) => m[1]).join(',');
    if (listed !== codes) problems.push(`paysign/README.md: error table ${i === 0 ? 'zh' : 'en'} lists ${listed || 'nothing'}, PaysignErrorCode has ${codes}`);
  }
  if (halves.length !== 2) problems.push('paysign/README.md: needs a Chinese part and an "## English" part');
}

for (const p of problems) console.log(p);
console.log(`arkts-json5: ${docs.size} json5 files, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
