// Where the ArkTS sources are and how ohos-typescript sees them; shared by the checker and the
// Node test runner so both read the same files the same way.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// The generated declarations of libpaysign.so (scripts/gen-dts writes them).
export const nativeDts = join(root, 'paysign/src/main/cpp/types/libpaysign/index.d.ts');

const sourceDirs = ['paysign', 'entry', 'AppScope', 'hvigor', 'tests/arkts'];
const skipDirs = new Set(['node_modules', 'oh_modules', 'build', 'libs', '.hvigor', '.preview']);

/** Every file under the project's ArkTS folders whose name ends with one of `suffixes`. */
export function projectFiles(suffixes) {
  const out = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!skipDirs.has(name)) walk(path);
      } else if (suffixes.some((s) => name.endsWith(s))) {
        out.push(path);
      }
    }
  };
  for (const d of sourceDirs) walk(join(root, d));
  return out;
}

export const rel = (p) => relative(root, p);

// compilerOptions.ets: the ArkUI syntax ohos-typescript must know to parse `struct` components.
// The compiler dereferences every sub-key without checking, so each one is filled.
export const etsOptions = {
  render: { method: ['build', 'pageTransition'], decorator: ['Builder', 'LocalBuilder'] },
  components: ['Column', 'Row', 'Text', 'TextInput', 'Button', 'Scroll', 'Stack', 'Flex', 'List', 'ListItem'],
  libs: [],
  extend: {
    decorator: ['Extend', 'AnimatableExtend'],
    components: [
      { name: 'Text', type: 'TextAttribute', instance: 'TextInstance' },
      { name: 'Button', type: 'ButtonAttribute', instance: 'ButtonInstance' },
      { name: 'Column', type: 'ColumnAttribute', instance: 'ColumnInstance' },
      { name: 'TextInput', type: 'TextInputAttribute', instance: 'TextInputInstance' },
    ],
  },
  styles: {
    decorator: 'Styles',
    component: { name: 'Common', type: 'T', instance: 'CommonInstance' },
    property: 'stateStyles',
  },
  concurrent: { decorator: 'Concurrent' },
  customComponent: 'CustomComponent',
  propertyDecorators: [
    { name: 'State', needInitialization: true },
    { name: 'Prop', needInitialization: false },
    { name: 'Link', needInitialization: false },
  ],
  emitDecorators: [
    { name: 'Entry', emitParameters: true },
    { name: 'Component', emitParameters: false },
    { name: 'State', emitParameters: false },
    { name: 'Builder', emitParameters: false },
  ],
  syntaxComponents: { paramsUICallback: ['ForEach', 'LazyForEach'], attrUICallback: [] },
};
