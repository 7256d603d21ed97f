// Test double of @kit.PerformanceAnalysisKit's hilog: records each line (the tests read them
// through tests/arkts/harness/HilogRecorder) and prints them when PAYSIGN_LOG is set.
import { recordHilog } from '../harness/HilogRecorder.mjs';

function writer(level) {
  return (domain, tag, format, ...args) => {
    let i = 0;
    const line = format.replace(/%\{(?:public|private)\}[sd]|%[sd]/g, () => String(args[i++]));
    recordHilog(`${level} 0x${Number(domain).toString(16)}/${tag}: ${line}`);
  };
}

export const hilog = { debug: writer('D'), info: writer('I'), warn: writer('W'), error: writer('E') };
export default { hilog };
