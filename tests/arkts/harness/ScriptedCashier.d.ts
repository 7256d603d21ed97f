// Test double of the Payment Kit cashier behind @kit.PaymentKit on Node.
export declare function cashierSucceeds(): void;
export declare function cashierFailsWith(code: number, message: string): void;
export declare function cashierThrowsAtOnce(code: number, message: string): void;
export declare function cashierNeverReturns(): void;
/** Holds each call open until releaseHeldCashiers(), like a user who never finishes. */
export declare function releaseHeldCashiers(): void;
export declare function cashierCallCount(): number;
export declare function lastCashierOrderStr(): string;
export declare function resetCashier(): void;
