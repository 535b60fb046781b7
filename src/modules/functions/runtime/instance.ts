// What the pool needs of an instance, whatever runs it (an isolate or a container).
import type { LogEntry } from '../../../contracts/functions.js';

export type { LogEntry };

export interface InvokeRequest {
  method: string;
  /** Absolute URL as the function sees it, e.g. http://gateway/fn/hello/path?q=1. */
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /**
   * Registers what to do when the caller goes away (the gateway's client closed) before the answer;
   * returns the unregistration. A callback, not an AbortSignal: one of those per request costs
   * measurable time on the warm path.
   */
  onCancel?: (cancel: () => void) => () => void;
}

export interface InvokeResponse {
  status: number;
  statusText?: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /** A streamed body: `body` holds what was ready at once, the rest comes by read() (null at the end). */
  stream?: BodyStream;
  /** A 101 answer's server end of a WebSocketPair (the gateway accepts the upgrade only with one). */
  webSocket?: FunctionSocket;
}

/** The rest of a streamed response body, pulled chunk by chunk (the pull is the backpressure). */
export interface BodyStream {
  /** The next chunk, null at the end; rejects when the function's stream errored or a limit was hit. */
  read(): Promise<Uint8Array | null>;
  /** The client went away: the function's stream is cancelled (its cancel() runs). */
  cancel(reason: string): void;
}

/** Where a function's WebSocket frames go (the gateway's client connection). */
export interface SocketPeer {
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
}

/** The function's server end of a WebSocket, as the gateway drives it. */
export interface FunctionSocket {
  /** Frames the function sends (and its close) go to `peer`; those sent before wait for it. */
  attach(peer: SocketPeer): void;
  /** A frame from the client: resolves once the function's listeners ran (metered like a request). */
  message(data: string | Uint8Array): Promise<void>;
  /** The client closed or the connection broke. */
  close(code: number, reason: string): void;
}

export interface Instance {
  readonly id: string;
  /** Runs one request; rejects with InvocationFailed (the instance may then be dead: see `dead`). */
  invoke(req: InvokeRequest, opts: { timeoutMs: number }): Promise<InvokeResponse>;
  /** Set once the instance can serve no more requests (limit breach, crash); the pool replaces it. */
  readonly dead: string | undefined;
  /**
   * Set when the instance was handed over before its start was confirmed (a function host gets the
   * start and the first invoke in one write): settles when it is; a rejection is a failed start.
   */
  readonly ready?: Promise<void>;
  /** How the start went, for the logs (e.g. "container 95 ms, ready 12 ms"). */
  readonly startDetail?: string;
  /** Bytes of memory the instance holds now (heap for isolates, cgroup usage for containers). */
  memoryBytes(): Promise<number>;
  dispose(reason: string): Promise<void>;
}
