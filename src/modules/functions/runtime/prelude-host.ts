// The callbacks the in-isolate prelude calls on the host (they cross the isolate boundary).
export interface PreludeHost {
  /** Parses a URL: returns [href, protocol, username, password, host, hostname, port, pathname, search, hash, origin] or null. */
  url(input: string, base?: string): string[] | null;
  log(level: string, text: string): void;
  uuid(): string;
  random(n: number): ArrayBuffer;
  fetch(req: [string, string, [string, string][], ArrayBuffer | null]): Promise<[number, string, [string, string][], ArrayBuffer]>;
  /** Resolves false when the host refused the timer (too many pending): it must not fire. */
  sleep(ms: number): Promise<boolean | void>;
  b64(op: 'enc' | 'dec', s: string): string;
}
