// What the functions module provides (FunctionsApi), for the gateway, the API routes and the CLI's daemon side.
import type { Registry } from 'prom-client';
import type { AsyncRecord, FunctionInfo } from '../../contracts/functions.js';
import type { ScaleTargetProvider } from '../../contracts/scaling.js';
import type { FunctionLogs } from './logs.js';
import type { FunctionQueues } from './queues.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';
import type { Secrets } from './secrets.js';
import type { SourceBundle } from './source.js';
import type { DeployInput } from './spec.js';

export interface FunctionsApi {
  deploy(input: DeployInput, code?: SourceBundle): Promise<FunctionInfo>;
  list(): FunctionInfo[];
  inspect(name: string): FunctionInfo;
  remove(name: string): Promise<void>;
  /** Runs one request; rejects with InvocationFailed (see failures.ts for the HTTP statuses). */
  invoke(name: string, req: InvokeRequest): Promise<InvokeResponse>;
  /** The body limit of a function, checked by the gateway before reading a body; not-found otherwise. */
  bodyLimit(name: string): number;
  /** For the gateway, before it reads a body: whether async calls need no token, and the largest body. */
  asyncPolicy(name: string): { public: boolean; bodyLimit: number };
  /** Throws the 429 an async submission of about this many bytes would get now (before reading it). */
  checkAsyncRoom(name: string, bytes: number): void;
  submitAsync(name: string, req: InvokeRequest): Promise<AsyncRecord>;
  result(id: string): Promise<AsyncRecord>;
  readonly logs: FunctionLogs;
  readonly secrets: Secrets;
  /** Prometheus registry with the per-function metrics (served by the monitor). */
  readonly metrics: Registry;
  readonly scaleTargets: ScaleTargetProvider;
  /** The gateway's base URL once it listens (used for trigger and function URLs). */
  gatewayBase: string;
  /** Queues (Workers Queues): producers, consumers, at-least-once delivery. */
  readonly queues: FunctionQueues;
  /** Counts what went through an open channel (the gateway calls it): streamed bytes, WebSocket messages each way. */
  countChannel(fn: string, kind: 'stream' | 'ws-in' | 'ws-out', bytes: number): void;
  /** Memory held by all instances (heap for isolates), bytes. */
  memoryBytes(): Promise<number>;
}
