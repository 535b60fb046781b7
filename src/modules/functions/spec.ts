// A function's desired state, and the pure normalization of what a user asks for into it.
import { Cron } from 'croner';
import { InvalidArgument } from '../../kernel/errors.js';
import { parseDurationMs } from '../autoscaler/policies/duration.js';
import { parseKeepAlive } from '../autoscaler/policies/keepalive.js';
import { parseMemory } from '../../kernel/quantity.js';

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
  createdAt: string;
  updatedAt: string;
  /** Bumped on every deploy; instances of older versions drain and go. */
  version: number;
}

/** What `fn deploy` sends (sizes and durations as text or numbers). */
export interface DeployInput {
  name: string;
  image?: string;
  port?: number;
  memory?: string | number;
  timeout?: string | number;
  cpu?: string | number;
  concurrency?: number;
  min?: number;
  max?: number;
  queue?: number;
  queueWait?: string | number;
  bodyLimit?: string | number;
  env?: Record<string, string>;
  secrets?: string[];
  keepAlive?: string;
  schedule?: string;
  mqttTopic?: string;
  mqttUrl?: string;
}

export const DEFAULTS = {
  memory: 64 * 2 ** 20,
  timeoutMs: 10_000,
  cpuMs: 1_000,
  concurrency: 4,
  min: 0,
  max: 10,
  queue: 1000,
  queueWaitMs: 10_000,
  bodyLimit: 6 * 2 ** 20,
  keepAlive: 'fixed:10m',
} as const;

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SECRET = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateName(name: string, what = 'function name'): string {
  if (!NAME.test(name)) throw new InvalidArgument(`${what} "${name}" must be 1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit`);
  return name;
}

export function validateSecretName(name: string): string {
  if (!SECRET.test(name)) throw new InvalidArgument(`secret name "${name}" must be letters, digits, _ or -, starting with a letter or _`);
  return name;
}


const ms = (v: string | number, what: string): number => (typeof v === 'number' ? v : parseDurationMs(v, what));

function int(v: number | undefined, def: number, lo: number, hi: number, what: string): number {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgument(`${what} must be an integer from ${lo} to ${hi}, got ${v}`);
  return n;
}

/** Validates a deploy request against the defaults (or the function's previous spec). Pure. */
export function normalizeSpec(input: DeployInput, prev: FunctionSpec | undefined, hasCode: boolean, now: string): FunctionSpec {
  validateName(input.name);
  const runtime = input.image ? 'image' : 'isolate';
  if (runtime === 'image' && hasCode) throw new InvalidArgument('give either --code or --image, not both');
  if (runtime === 'isolate' && !hasCode) throw new InvalidArgument('give --code FILE|DIR or --image IMAGE');
  if (runtime === 'image' && input.port === undefined) throw new InvalidArgument('an image function needs --port, the port its server listens on');
  const memory = input.memory !== undefined ? parseMemory(input.memory, 'memory') : DEFAULTS.memory;
  if (memory < 8 * 2 ** 20) throw new InvalidArgument(`memory must be at least 8m, got ${input.memory}`);
  const timeoutMs = input.timeout !== undefined ? ms(input.timeout, 'timeout') : DEFAULTS.timeoutMs;
  if (timeoutMs < 1 || timeoutMs > 15 * 60_000) throw new InvalidArgument('timeout must be from 1ms to 15m');
  const cpuMs = input.cpu !== undefined ? ms(input.cpu, 'cpu time limit') : Math.min(DEFAULTS.cpuMs, timeoutMs);
  if (cpuMs < 1) throw new InvalidArgument('cpu time limit must be at least 1ms');
  const min = int(input.min, DEFAULTS.min, 0, 1000, 'min');
  const max = int(input.max, Math.max(DEFAULTS.max, min), 1, 1000, 'max');
  if (min > max) throw new InvalidArgument(`min (${min}) must not exceed max (${max})`);
  const env = { ...(input.env ?? {}) };
  for (const k of Object.keys(env)) if (!ENV_KEY.test(k)) throw new InvalidArgument(`env name "${k}" must be letters, digits or _`);
  const secrets = [...new Set(input.secrets ?? [])].map(validateSecretName);
  for (const s of secrets) if (s in env) throw new InvalidArgument(`secret ${s} would shadow the env variable of the same name`);
  const keepAlive = input.keepAlive ?? DEFAULTS.keepAlive;
  parseKeepAlive(keepAlive); // validates
  if (input.schedule) {
    try {
      new Cron(input.schedule, { paused: true }).stop();
    } catch (e) {
      throw new InvalidArgument(`schedule "${input.schedule}" is not a cron expression: ${(e as Error).message}`);
    }
  }
  if ((input.mqttTopic === undefined) !== (input.mqttUrl === undefined)) throw new InvalidArgument('--mqtt-topic and --mqtt-url go together');
  if (input.mqttUrl && !/^mqtts?:\/\//.test(input.mqttUrl)) throw new InvalidArgument(`--mqtt-url ${input.mqttUrl} must start with mqtt:// or mqtts://`);
  if (input.port !== undefined && (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535)) throw new InvalidArgument(`port must be 1-65535, got ${input.port}`);
  return {
    name: input.name,
    namespace: 'default',
    runtime,
    ...(input.image ? { image: input.image, port: input.port } : {}),
    memory,
    timeoutMs,
    cpuMs,
    concurrency: int(input.concurrency, runtime === 'image' ? 16 : DEFAULTS.concurrency, 1, 10_000, 'concurrency'),
    min,
    max,
    queue: int(input.queue, DEFAULTS.queue, 0, 1_000_000, 'queue'),
    queueWaitMs: input.queueWait !== undefined ? ms(input.queueWait, 'queue wait') : DEFAULTS.queueWaitMs,
    bodyLimit: input.bodyLimit !== undefined ? parseMemory(input.bodyLimit, 'body limit') : DEFAULTS.bodyLimit,
    env,
    secrets,
    keepAlive,
    ...(input.schedule ? { schedule: input.schedule } : {}),
    ...(input.mqttTopic && input.mqttUrl ? { mqtt: { url: input.mqttUrl, topic: input.mqttTopic } } : {}),
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
    version: (prev?.version ?? 0) + 1,
  };
}
