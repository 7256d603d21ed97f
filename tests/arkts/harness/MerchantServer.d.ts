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
  /** All requests so far, in arrival order; index 0 is the first. */
  requestCount(): number;
  requestMethod(index: number): string;
  requestPath(index: number): string;
  requestBody(index: number): string;
  /** A request header by case-insensitive name, '' when absent. */
  requestHeader(index: number, name: string): string;
  close(): Promise<void>;
}

export declare function startMerchantServer(): Promise<ScriptedMerchantServer>;
export declare function unreachableBaseUrl(): Promise<string>;
