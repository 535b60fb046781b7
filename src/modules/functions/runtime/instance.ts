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
}

export interface Instance {
  readonly id: string;
  /** Runs one request; rejects with InvocationFailed (the instance may then be dead: see `dead`). */
  invoke(req: InvokeRequest, opts: { timeoutMs: number }): Promise<InvokeResponse>;
  /** Set once the instance can serve no more requests (limit breach, crash); the pool replaces it. */
  readonly dead: string | undefined;
  /** How the start went, for the logs (e.g. "container 95 ms, ready 12 ms"). */
  readonly startDetail?: string;
  /** Bytes of memory the instance holds now (heap for isolates, cgroup usage for containers). */
  memoryBytes(): Promise<number>;
  dispose(reason: string): Promise<void>;
}
