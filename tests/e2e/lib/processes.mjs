// The servers of an end-to-end run as child processes: each in its own process group (so a stop
// reaches whatever it started too), found ready by the lines it prints first, and stopped with
// the run — on a normal exit, an exception, Ctrl-C or SIGTERM — so no server outlives the run.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const live = new Set();
const exitHooks = new Set();
let cleanupInstalled = false;

/** Runs `fn` (synchronous) when the process exits or is interrupted; returns the unregister. */
export function atExit(fn) {
  installCleanup();
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every server still running, at once (the process is exiting: nothing can be awaited). */
export function killAll() {
  for (const service of live) killGroup(service.child, 'SIGKILL');
  live.clear();
  for (const fn of exitHooks) {
    try {
      fn();
    } catch {
      // Best effort: the process is going away.
    }
  }
  exitHooks.clear();
}

/** Stops every server on exit, Ctrl-C and SIGTERM. Idempotent. */
export function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, async () => {
      process.stderr.write(`\n${signal}: stopping the servers\n`);
      // Waiting for their exit (briefly) reaps them here, rather than leaving it to init.
      const exits = [...live].map((service) => service.exitPromise);
      killAll();
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 1_000))]);
      process.exit(code);
    });
  }
}

/**
 * Starts `bin args` in its own process group and resolves once its stdout has printed a line
 * matching each of `ready` (regexes, in any order); `matches` holds each regex's match. Its
 * stderr (and stdout) go to `logFile`. Rejects with the end of that log when it exits first or
 * takes longer than `timeoutMs`.
 */
export function startService({ name, bin, args, cwd, env, ready, logFile, timeoutMs = 20_000 }) {
  installCleanup();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const service = new Service(name, child, logFile);
    live.add(service);
    const matches = new Array(ready.length).fill(null);
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      live.delete(service);
      // Give the log a moment to take the last lines before reading it.
      setTimeout(() => reject(new Error(`${name}: ${why}\n${service.tail()}`)), 50);
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.on('error', (e) => fail(`cannot start ${bin}: ${e.message}`));
    child.on('exit', (code, signal) => {
      live.delete(service);
      service.exited = { code, signal };
      fail(`exited (${signal ?? code}) before it was ready`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      service.record(line);
      if (settled) return;
      ready.forEach((re, i) => {
        if (matches[i] === null) {
          const m = re.exec(line);
          if (m) matches[i] = m;
        }
      });
      if (matches.every((m) => m !== null)) {
        settled = true;
        clearTimeout(timer);
        service.matches = matches;
        resolve(service);
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => service.record(line));
  });
}

class Service {
  constructor(name, child, logFile) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.exited = null;
    this.matches = [];
    this.lastLines = [];
    this.log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
    this.exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  record(line) {
    this.log?.write(`${line}\n`);
    this.lastLines.push(line);
    if (this.lastLines.length > 40) this.lastLines.shift();
  }

  tail() {
    return this.lastLines.map((l) => `  | ${l}`).join('\n');
  }

  /** SIGTERM to the group (a graceful stop), SIGKILL after `graceMs`; resolves when it exited. */
  async stop({ signal = 'SIGTERM', graceMs = 5_000 } = {}) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      killGroup(this.child, signal);
      const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    live.delete(this);
    this.log?.end();
  }

  /** What a crash looks like: SIGKILL, no goodbye. */
  kill() {
    return this.stop({ signal: 'SIGKILL', graceMs: 0 });
  }
}
