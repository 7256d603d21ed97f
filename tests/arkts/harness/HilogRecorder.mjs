// Lines written through the hilog test double, so tests can check what paysign logs.
const lines = [];

export function recordHilog(line) {
  lines.push(line);
  if (process.env.PAYSIGN_LOG) process.stderr.write(`${line}\n`);
}

export function hilogLines() {
  return lines.slice();
}

export function clearHilog() {
  lines.length = 0;
}
