// The messages between the daemon and a function-host process (host-main.ts), carried over
// a socketpair, framed by wire.ts (v8 serialization: bodies travel as bytes, no base64).
import type { EgressPolicy } from '../runtime/egress.js';
import type { InvokeRequest, InvokeResponse } from '../runtime/instance.js';

/** What the host needs to make an isolate instance (IsolateOptions without the callbacks). */
export interface StartSpec {
  id: string;
  functionName: string;
  code: string;
  /** Code caches are kept in the host by this key (function name and version). */
  cacheKey: string;
  memoryBytes: number;
  cpuMs: number;
  env: Record<string, string>;
  fastPath: boolean;
  egress: Omit<EgressPolicy, 'hops'>;
  backgroundMs: number;
  /** KV binding names (served by the daemon: see the kv messages). */
  kv: string[];
  /** Limits of streamed bodies and WebSockets (deploy options). */
  streamMaxBytes?: number;
  streamIdleMs?: number;
  wsMaxSockets?: number;
  wsMaxMessageBytes?: number;
  /** A deploy check: leaves the spare shells to cold starts. */
  noSpare?: boolean;
}

/** A request to the host without its id (distributes Omit over the union). */
export type HostCall = ToHost extends infer M ? (M extends { rid: number } ? Omit<M, 'rid'> : never) : never;

export type ToHost =
  | { t: 'start'; rid: number; spec: StartSpec }
  | { t: 'invoke'; rid: number; id: string; req: InvokeRequest; timeoutMs: number }
  | { t: 'dispose'; rid: number; id: string; reason: string }
  /** The caller of request `rid` went away; `kill`: it was the instance's only request, so its isolate goes. */
  | { t: 'cancel'; rid: number; id: string; kill: boolean }
  | { t: 'mem'; rid: number; id: string }
  | { t: 'spares'; n: number; sizesMb: number[] }
  | { t: 'kvres'; kid: number; err: string; res: unknown }
  // Streamed bodies and WebSockets of an invoke's answer (WireResponse.sid / .ws).
  | { t: 'sread'; rid: number; id: string; sid: number }
  | { t: 'scancel'; id: string; sid: number; reason: string }
  | { t: 'wsin'; rid: number; id: string; sid: number; data: string | Uint8Array }
  | { t: 'wsclose'; id: string; sid: number; code: number; reason: string };

/** An invoke's answer on the wire: a streamed body or a WebSocket travels as an id. */
export type WireResponse = Omit<InvokeResponse, 'stream' | 'webSocket'> & { sid?: number; ws?: number };

export type FromHost =
  | { t: 'ready' }
  | { t: 'ok'; rid: number; value?: WireResponse | number | Uint8Array | null }
  | { t: 'err'; rid: number; reason: string; message: string }
  | { t: 'log'; fn: string; id: string; level: string; text: string }
  | { t: 'dead'; id: string; reason: string }
  | { t: 'kv'; kid: number; fn: string; binding: string; op: string; args: Record<string, unknown> }
  | { t: 'wsout'; id: string; sid: number; op: 'send' | 'close'; data: string | Uint8Array | null; code: number; reason: string };
