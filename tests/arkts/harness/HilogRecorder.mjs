// Lines written through the hilog test double, so tests can check what paysign logs.
const lines = [];
const listeners = new Set();

export function recordHilog(line) {
  lines.push(line);
  if (process.env.PAYSIGN_LOG) process.stderr.write(`${line}\n`);
  for (const listener of listeners) listener(line);
}

/** Calls `listener(line)` for every line from now on (the demo narrates with them); returns the unsubscribe. */
export function onHilog(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hilogLines() {
  return lines.slice();
}

export function clearHilog() {
  lines.length = 0;
}
