// The host callbacks the in-isolate prelude calls (they cross the isolate boundary, copying
// plain values only), and the one place the prelude's modules read them from: install() sets it
// before any global is used.

/** fetch as the host sees it: [url, method, headers, body, redirect mode]. */
export type HostFetchRequest = [string, string, [string, string][], ArrayBuffer | null, string];
/**
 * [status, statusText, headers, body, final url, redirected, stream]: `body` is the whole body
 * when it was short, else its first bytes, and `stream` (>= 0) names the rest for fetchRead.
 */
export type HostFetchResponse = [number, string, [string, string][], ArrayBuffer | null, string, boolean, number];

export interface PreludeHost {
  /** Parses a URL: returns [href, protocol, username, password, host, hostname, port, pathname, search, hash, origin] or null. */
  url(input: string, base?: string): string[] | null;
  log(level: string, text: string): void;
  uuid(): string;
  random(n: number): ArrayBuffer;
  fetch(req: HostFetchRequest): Promise<HostFetchResponse>;
  /** The next chunk of a fetch response body: [error, chunk]; a null chunk is the end. */
  fetchRead(stream: number): Promise<[string, ArrayBuffer | null]>;
  fetchCancel(stream: number): void;
  /** Resolves false when the host refused the timer (too many pending): it must not fire. */
  sleep(ms: number): Promise<boolean | void>;
  /** crypto.subtle operations on the host's WebCrypto; keys stay there, named by handle. */
  subtle(op: string, args: unknown[]): Promise<unknown>;
  /** One-shot (de)compression: op is 'gzip'|'deflate'|'deflate-raw' with a 'c:' or 'd:' prefix. */
  zlib(op: string, data: ArrayBuffer): Promise<[string, ArrayBuffer | null]>;
  /** Incremental (de)compression: opens a stream (op as for zlib), returns its id or an error text. */
  zlibOpen(op: string): number | string;
  /** Feeds a chunk (null: the end) to stream `id`: [error, output so far]. */
  zlibPush(id: number, data: ArrayBuffer | null): Promise<[string, ArrayBuffer | null]>;
  zlibClose(id: number): void;
  /** A frame the function sends on WebSocket `sid` (string: text, else binary). */
  wsSend(sid: number, data: string | ArrayBuffer): void;
  wsClose(sid: number, code: number, reason: string): void;
  /** Native UTF-8 for large strings and bodies (an isolate's JS loop is ~30x slower on megabytes). */
  utf8Encode(s: string): ArrayBuffer;
  utf8Decode(b: ArrayBuffer | Uint8Array): string;
}

export let host: PreludeHost;

export function setHost(h: PreludeHost): void {
  host = h;
}
