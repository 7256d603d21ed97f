// Test double of @kit.BasicServicesKit: BusinessError is only a type; systemDateTime.getUptime is
// Node's monotonic clock, plus a test-only offset (`uptimeTestDouble.advance(ms)`) so a suite can
// make time pass (a frozen app waking up) without waiting.
import { performance } from 'node:perf_hooks';

let offsetMs = 0;

export const systemDateTime = {
  TimeType: { STARTUP: 0, ACTIVE: 1 },
  getUptime(timeType, isNanoseconds) {
    const ms = Math.floor(performance.now()) + offsetMs;
    return isNanoseconds === true ? ms * 1e6 : ms;
  },
};

/** Test-only control of the uptime double; not part of the kit. */
export const uptimeTestDouble = {
  advance(ms) {
    offsetMs += ms;
  },
  reset() {
    offsetMs = 0;
  },
};

export default { systemDateTime };
