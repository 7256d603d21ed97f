// Moves the clocks the HAR reads, for the Node-only suites: the uptime of the
// @kit.BasicServicesKit test double (time that passed while the app was frozen) and the wall clock
// (a user or the network changing the phone's time).
import { uptimeTestDouble } from '../doubles/BasicServicesKit.mjs';

const realNow = Date.now;
let wallShiftMs = 0;

export function advanceUptime(ms) {
  uptimeTestDouble.advance(ms);
}

export function shiftWallClock(ms) {
  wallShiftMs += ms;
  Date.now = () => realNow() + wallShiftMs;
}

export function resetClocks() {
  uptimeTestDouble.reset();
  wallShiftMs = 0;
  Date.now = realNow;
}
