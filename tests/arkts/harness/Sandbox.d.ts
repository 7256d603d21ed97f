// The real paysign-sandbox binary, started on 127.0.0.1 (ephemeral port) for a Node suite.

/** One order pre-ordered at the sandbox by the `demo-orders` example, as a merchant server does. */
export interface DemoOrder {
  mercNo: string;
  mercOrderNo: string;
  mercContractCode: string;
  appId: string;
  orderStr: string;
}

export declare class SandboxProcess {
  /** e.g. `http://127.0.0.1:40123`, as the binary printed it. */
  readonly baseUrl: string;
  /** Pre-orders `count` orders as a newly registered merchant (signed orderStrs, real prepay ids). */
  demoOrders(count: number): Promise<DemoOrder[]>;
  /** The order's `status` at the sandbox: TRX_APPLY, TRX_SUCCESS, TRX_FAILED. */
  orderStatus(mercNo: string, mercOrderNo: string): Promise<string>;
  /** The contract's `status` at the sandbox: PENDING, SIGNED, UNSIGNED. */
  contractStatus(mercNo: string, mercContractCode: string): Promise<string>;
  /** How many events the sandbox has logged. */
  eventCount(): Promise<number>;
  /** Moves the sandbox's business clock. */
  advanceClock(ms: number): Promise<void>;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts target/debug/paysign-sandbox (PAYSIGN_SANDBOX_BIN overrides) without callbacks. */
export declare function startSandbox(): Promise<SandboxProcess>;
