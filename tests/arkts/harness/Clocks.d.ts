/** Time passes for the monotonic clock (the app was frozen this long). */
export declare function advanceUptime(ms: number): void;
/** The phone's wall clock jumps by `ms` (may be negative). */
export declare function shiftWallClock(ms: number): void;
/** Both clocks back to real time. */
export declare function resetClocks(): void;
