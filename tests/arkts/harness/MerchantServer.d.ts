// A real HTTP merchant server on 127.0.0.1 whose answers the Node tests script.

/** One scripted answer: HTTP status, body text, and an optional delay before answering. */
export interface ScriptedAnswer {
  status: number;
  body: string;
  delayMs?: number;
}

export declare class ScriptedMerchantServer {
  readonly baseUrl: string;
  /** The answer to every POST (the ticket call). */
  answerTicket(answer: ScriptedAnswer): void;
  /** The answers to the GETs (status calls), in order; the last one repeats. */
  answerStatus(answers: ScriptedAnswer[]): void;
  ticketRequestCount(): number;
  statusRequestCount(): number;
  lastRequestPath(): string;
  lastRequestBody(): string;
  lastRequestHeader(name: string): string;
  close(): Promise<void>;
}

export declare function startMerchantServer(): Promise<ScriptedMerchantServer>;
export declare function unreachableBaseUrl(): Promise<string>;
