// The functions contract: the wire shape of a deploy request (`POST /v1/functions`, and `kind: Function`
// manifests), one zod schema for the API route, the module and the fuzz tests; and what the API
// answers about functions (FunctionInfo, async records, logs, secrets), which the CLI reads. It checks types and
// string lengths; ranges and cross-field rules are the functions module's normalizeSpec, so every
// caller gets the same reasons.
import { z } from 'zod';

const text = (max: number) => z.string().max(max);
const sizeOrNumber = z.union([text(64), z.number()]);

export const deployInputSchema = z.object({
  name: text(253),
  image: text(1024).min(1).optional(),
  port: z.number().int().optional(),
  memory: sizeOrNumber.optional(),
  timeout: sizeOrNumber.optional(),
  cpu: sizeOrNumber.optional(),
  concurrency: z.number().int().optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  queue: z.number().int().optional(),
  queueWait: sizeOrNumber.optional(),
  bodyLimit: sizeOrNumber.optional(),
  env: z.record(text(1024), text(128 * 1024)).optional(),
  secrets: z.array(text(128)).max(1000).optional(),
  keepAlive: text(64).optional(),
  schedule: text(256).optional(),
  mqttTopic: text(1024).optional(),
  mqttUrl: text(2048).optional(),
  asyncPublic: z.boolean().optional(),
  asyncTtl: sizeOrNumber.optional(),
  asyncMaxRecords: z.number().int().optional(),
  asyncMaxBytes: sizeOrNumber.optional(),
  /** `host:port` entries a function's fetch may reach although private/loopback (`--allow-net`). */
  allowNet: z.array(text(300)).max(100).optional(),
  /** Tenancy unit: functions of one namespace share a function-host process. */
  namespace: text(63).optional(),
  /** Run in a function-host process of its own instead of its namespace's (`--own-host`). */
  ownHost: z.boolean().optional(),
  /** KV bindings: env[NAME] is a Workers-style KV namespace backed by the state store (`--kv NAME`). */
  kv: z.array(text(64)).max(20).optional(),
  /** Streamed responses: bytes per stream (default 256m) and the longest wait between chunks (default 30s). */
  streamMax: sizeOrNumber.optional(),
  streamIdle: sizeOrNumber.optional(),
  /** WebSockets: open per instance (default 32) and the largest message (default 1m). */
  wsMaxSockets: z.number().int().optional(),
  wsMaxMessage: sizeOrNumber.optional(),
  /** Queue producer bindings: env[NAME].send/sendBatch put messages on queue NAME (`--producer NAME`). */
  producers: z.array(text(63)).max(20).optional(),
  /** Device rule (issue 21): a device selector (`model=thermometer`) and an expression (`temperature > 30`). */
  onDevice: text(1024).optional(),
  when: text(1024).optional(),
  /** Set by a cluster server on the copy it deploys to a node (functions/cluster-mirror.ts): the server's version; the code is already bundled. */
  origin: text(128).optional(),
});

/** The deploy body: the input plus isolate code (file name -> source). */
export const deployBodySchema = deployInputSchema.extend({
  code: z.object({ files: z.record(text(1024), z.string()), entry: text(1024).optional() }).optional(),
});

/** What `fn deploy` sends (sizes and durations as text or numbers). */
export type DeployInput = z.infer<typeof deployInputSchema>;

/** A function's desired state: what normalizeSpec makes of a DeployInput (units in bytes and ms). */
export interface FunctionSpec {
  name: string;
  namespace: string;
  runtime: 'isolate' | 'image';
  /** For image functions: the image and the port it serves HTTP on. */
  image?: string;
  port?: number;
  /** Memory limit per instance, bytes. */
  memory: number;
  /** Wall-clock limit per request, ms (then 504). */
  timeoutMs: number;
  /** CPU-time limit per request, ms (isolates: then the instance is replaced and the caller gets 500). */
  cpuMs: number;
  /** In-flight requests per instance. */
  concurrency: number;
  /** Warm instances kept even when idle. */
  min: number;
  /** Most instances at once. */
  max: number;
  /** Requests waiting for an instance, at most (then 429). */
  queue: number;
  /** Longest a request waits in the queue, ms (then 429). */
  queueWaitMs: number;
  /** Largest request body, bytes (then 413). */
  bodyLimit: number;
  env: Record<string, string>;
  /** Secret names; each is given to the handler as env[NAME]. */
  secrets: string[];
  keepAlive: string;
  schedule?: string;
  mqtt?: { url: string; topic: string };
  /** Device rule: invoked when a matching device's values make `when` true (the iot module's events). */
  device?: { selector: string; when: string };
  /** Whether the gateway takes async invocations without an API token (POST /async/fn/NAME). */
  asyncPublic: boolean;
  /** How long an async invocation's result is kept after it finishes, ms. */
  asyncTtlMs: number;
  /** Async invocations held at once (queued, running, or finished and kept), at most (then 429). */
  asyncMaxRecords: number;
  /** Bytes of async request and result bodies held at once, at most (then 429). */
  asyncMaxBytes: number;
  /** `host:port` entries (normalized) the function's fetch may reach besides public addresses. */
  allowNet: string[];
  /** Whether its isolates run in a function-host process of their own (else the namespace's). */
  ownHost: boolean;
  /** KV binding names (env[NAME].get/put/delete/list). */
  kv: string[];
  /** Limits of streamed responses and WebSockets (channel-limits.ts). */
  streamMaxBytes: number;
  streamIdleMs: number;
  wsMaxSockets: number;
  wsMaxMessageBytes: number;
  createdAt: string;
  updatedAt: string;
  /** Bumped on every deploy; instances of older versions drain and go. */
  version: number;
  /** On a cluster node: this function is the server's copy (its version there); the server deletes it when it goes. */
  origin?: string;
}

/** One instance of a function's pool. */
export interface InstanceInfo {
  id: string;
  state: 'starting' | 'ready';
  version: number;
  inflight: number;
  served: number;
  startedAt: string;
  lastUsedAt: string;
  /** When the keep-alive lets it go, if idle then. */
  expiresAt: string;
  /** Cluster mode, on the server: the node it runs on (absent: this machine). */
  node?: string;
}

/** A function's pool counters. */
export interface PoolStats {
  instances: number;
  ready: number;
  starting: number;
  inflight: number;
  queued: number;
  invocations: number;
  errors: number;
  coldStarts: number;
  lastError?: string;
  keepAlive: string;
  floor: number;
}

/** An async invocation (`POST /async/fn/NAME`, `GET /v1/functions/async/ID`). */
export interface AsyncRecord {
  id: string;
  function: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  /** When a finished record is deleted. */
  expiresAt?: string;
  /** Bytes counted against the function's async quota. */
  bytes?: number;
  /** body: only in records written by older versions (now under BODY + id). */
  request: { method: string; url: string; headers: [string, string][]; bodyBytes?: number; body?: string };
  result?: { status: number; headers: [string, string][]; body: string; bodyEncoding: 'utf8' | 'base64'; omittedBytes?: number };
  error?: string;
}

/** A line a function instance logged. */
export interface LogEntry {
  time: string;
  function: string;
  instance: string;
  level: string;
  text: string;
}

/** A secret as listed (never its value). */
export interface SecretInfo {
  name: string;
  size: number;
  createdAt: string;
  updatedAt: string;
  usedBy: string[];
}

/** A deployed function as the API reports it. */
export interface FunctionInfo {
  spec: FunctionSpec;
  /** Deployed code: entry file and file names (isolate functions). */
  code?: { entry: string; files: string[]; bytes: number };
  stats: PoolStats;
  instances: InstanceInfo[];
  triggers: string[];
  url: string;
  /** What the function's async invocations hold now (against asyncMaxRecords / asyncMaxBytes). */
  async: { records: number; bytes: number };
}

// ---- Response schemas (the API's answers) ----

export const functionSpecSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  runtime: z.enum(['isolate', 'image']),
  image: z.string().optional(),
  port: z.number().optional(),
  memory: z.number(),
  timeoutMs: z.number(),
  cpuMs: z.number(),
  concurrency: z.number(),
  min: z.number(),
  max: z.number(),
  queue: z.number(),
  queueWaitMs: z.number(),
  bodyLimit: z.number(),
  env: z.record(z.string(), z.string()),
  secrets: z.array(z.string()),
  keepAlive: z.string(),
  allowNet: z.array(z.string()),
  ownHost: z.boolean(),
  kv: z.array(z.string()),
  streamMaxBytes: z.number(),
  streamIdleMs: z.number(),
  wsMaxSockets: z.number(),
  wsMaxMessageBytes: z.number(),
  schedule: z.string().optional(),
  mqtt: z.object({ url: z.string(), topic: z.string() }).optional(),
  device: z.object({ selector: z.string(), when: z.string() }).optional(),
  asyncPublic: z.boolean(),
  asyncTtlMs: z.number(),
  asyncMaxRecords: z.number(),
  asyncMaxBytes: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
  origin: z.string().optional(),
});
export const instanceInfoSchema = z.object({
  id: z.string(),
  state: z.enum(['starting', 'ready']),
  version: z.number(),
  inflight: z.number(),
  served: z.number(),
  startedAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string(),
  node: z.string().optional(),
});
export const poolStatsSchema = z.object({
  instances: z.number(),
  ready: z.number(),
  starting: z.number(),
  inflight: z.number(),
  queued: z.number(),
  invocations: z.number(),
  errors: z.number(),
  coldStarts: z.number(),
  lastError: z.string().optional(),
  keepAlive: z.string(),
  floor: z.number(),
});
export const functionInfoSchema = z.object({
  spec: functionSpecSchema,
  code: z.object({ entry: z.string(), files: z.array(z.string()), bytes: z.number() }).optional(),
  stats: poolStatsSchema,
  instances: z.array(instanceInfoSchema),
  triggers: z.array(z.string()),
  url: z.string(),
  async: z.object({ records: z.number(), bytes: z.number() }),
});
const headerPairs = z.array(z.tuple([z.string(), z.string()]));
export const asyncRecordSchema = z.object({
  id: z.string(),
  function: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  nextAttemptAt: z.string().optional(),
  expiresAt: z.string().optional(),
  bytes: z.number().optional(),
  request: z.object({ method: z.string(), url: z.string(), headers: headerPairs, bodyBytes: z.number().optional(), body: z.string().optional() }),
  result: z.object({ status: z.number(), headers: headerPairs, body: z.string(), bodyEncoding: z.enum(['utf8', 'base64']), omittedBytes: z.number().optional() }).optional(),
  error: z.string().optional(),
});
export const functionLogEntrySchema = z.object({ time: z.string(), function: z.string(), instance: z.string(), level: z.string(), text: z.string() });
export const secretInfoSchema = z.object({ name: z.string(), size: z.number(), createdAt: z.string(), updatedAt: z.string(), usedBy: z.array(z.string()) });
/** `POST /v1/functions/NAME/invoke`: the function's answer, JSON-wrapped (body base64). */
export const invokeResultSchema = z.object({ status: z.number(), headers: headerPairs, body: z.string() });

/** Why an invocation did not produce the function's own response (InvocationFailed.reason). */
export const failureReasons = ['not-found', 'cpu-limit', 'memory-limit', 'timeout', 'handler-error', 'start-failed', 'queue-full', 'queue-timeout', 'body-too-large', 'quota-exceeded', 'bad-response', 'unauthenticated', 'shutting-down', 'loop-detected', 'host-crashed'] as const;
export type FailureReason = (typeof failureReasons)[number];
/** The JSON body the gateway and the invoke route send for a failed invocation. */
export const failureBodySchema = z.object({ error: z.string(), code: z.string(), reason: z.enum(failureReasons) });

/** The entry of a deployed directory: index.ts/js or main.*, else the only top-level code file; undefined when that cannot be told. */
export function findEntry(names: readonly string[]): string | undefined {
  for (const n of ['index.ts', 'index.js', 'index.mjs', 'index.mts', 'main.ts', 'main.js', 'handler.ts', 'handler.js']) if (names.includes(n)) return n;
  const code = names.filter((n) => /\.(m?[jt]s)$/.test(n) && !n.includes('/'));
  return code.length === 1 ? code[0] : undefined;
}
export const noEntryMessage = (files: number): string => `cannot tell the entry file among ${files} files: name it index.ts or index.js`;

/** A queue (Workers Queues): its consumer function and delivery settings (`llmos fn queue create`). */
export const queueInputSchema = z.object({
  name: text(63),
  /** The function whose queue(batch, env, ctx) handler gets the messages; none: they wait. */
  consumer: text(253).optional(),
  /** Messages per batch, 1-100 (Workers: max_batch_size, default 10). */
  batchSize: z.number().int().optional(),
  /** Longest wait for a batch to fill, ms, 0-60000 (Workers: max_batch_timeout, default 5 s). */
  batchTimeoutMs: z.number().int().optional(),
  /** Deliveries after the first before a message goes to the dead-letter queue (or is dropped), 0-100 (default 3). */
  maxRetries: z.number().int().optional(),
  /** Where messages go after their last retry. */
  deadLetterQueue: text(63).optional(),
  /** Delay before a retried message comes back, ms (default 0; a retry's delaySeconds wins). */
  retryDelayMs: z.number().int().optional(),
});
export type QueueInput = z.infer<typeof queueInputSchema>;

export const queueInfoSchema = z.object({
  name: z.string(),
  consumer: z.string().optional(),
  batchSize: z.number(),
  batchTimeoutMs: z.number(),
  maxRetries: z.number(),
  deadLetterQueue: z.string().optional(),
  retryDelayMs: z.number(),
  createdAt: z.string(),
  /** Messages held (waiting, delayed or being delivered). */
  backlog: z.number(),
  inflight: z.number(),
  delivered: z.number(),
  acked: z.number(),
  retried: z.number(),
  deadLettered: z.number(),
  dropped: z.number(),
});
export type QueueInfo = z.infer<typeof queueInfoSchema>;

/** A message sent through the API (`llmos fn queue send`): JSON values, text with contentType text. */
export const queueSendSchema = z.object({
  messages: z.array(z.object({ body: z.unknown(), contentType: z.enum(['json', 'text']).optional(), delaySeconds: z.number().optional() })).min(1).max(100),
});
