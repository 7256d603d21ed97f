// Globals every ArkTS runtime provides (timers, console); ohos-typescript's ES libs lack them.
declare function setTimeout(handler: () => void, delay?: number): number;
declare function clearTimeout(timeoutId?: number): void;

interface Console {
  debug(message: string, ...args: (string | number | boolean)[]): void;
  info(message: string, ...args: (string | number | boolean)[]): void;
  log(message: string, ...args: (string | number | boolean)[]): void;
  warn(message: string, ...args: (string | number | boolean)[]): void;
  error(message: string, ...args: (string | number | boolean)[]): void;
}
declare const console: Console;
