// Test double of @kit.ArkData's preferences: a key-value store per name, in memory, that survives
// the process only when PAYSIGN_PREFERENCES_DIR is set (flush writes <dir>/<name>.json, the first
// getPreferences of a name reads it) — so a test can kill one process and resume in the next, as
// the real preferences survive an app kill. `preferencesTestDouble` is test-only control.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const stores = new Map();
const failures = { put: 0, flush: 0 };

function fileOf(name) {
  const dir = process.env.PAYSIGN_PREFERENCES_DIR;
  return dir ? join(dir, `${name}.json`) : undefined;
}

class PreferencesDouble {
  constructor(name) {
    this.name = name;
    this.values = new Map();
    const file = fileOf(name);
    if (file && existsSync(file)) {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(file, 'utf8')))) this.values.set(k, v);
    }
  }
  async get(key, defValue) {
    return this.values.has(key) ? this.values.get(key) : defValue;
  }
  async has(key) {
    return this.values.has(key);
  }
  async put(key, value) {
    if (failures.put > 0) {
      failures.put -= 1;
      const e = new Error('test double: put failed');
      e.code = 15500000;
      throw e;
    }
    this.values.set(key, value);
  }
  async delete(key) {
    this.values.delete(key);
  }
  async flush() {
    if (failures.flush > 0) {
      failures.flush -= 1;
      const e = new Error('test double: flush failed');
      e.code = 15500000;
      throw e;
    }
    const file = fileOf(this.name);
    if (file) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(this.values)));
      renameSync(`${file}.tmp`, file);
    }
  }
}

export const preferences = {
  async getPreferences(context, options) {
    if (!context) throw Object.assign(new Error('Parameter error: context'), { code: 401 });
    let store = stores.get(options.name);
    if (!store) {
      store = new PreferencesDouble(options.name);
      stores.set(options.name, store);
    }
    return store;
  },
};

/** Test-only control of the preferences double; not part of the kit. */
export const preferencesTestDouble = {
  /** Forget every store in memory (what an app restart does; files stay). */
  reset() {
    stores.clear();
  },
  /** The raw value of one key, for assertions. */
  peek(name, key) {
    return stores.get(name)?.values.get(key);
  },
  /** Make the next `count` puts fail. */
  failPuts(count) {
    failures.put = count;
  },
};

export default { preferences };
