// A function's desired state, and the pure normalization of what a user asks for into it.
import { deviceRuleSpec, withDevicesBinding } from './device-rule.js';
import { channelLimits, withChannelDefaults } from './channel-limits.js';
import { int, ms, size } from './spec-parse.js';
import { Cron } from 'croner';
import type { DeployInput, FunctionSpec } from '../../contracts/functions.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { parseKeepAlive } from '../../policies/keepalive.js';
import { normalizeAllowEntry } from './runtime/egress.js';

export type { DeployInput, FunctionSpec };

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
  keepAlive: 'cost',
  asyncPublic: false,
  asyncTtlMs: 3_600_000,
  asyncMaxRecords: 1000,
  asyncMaxBytes: 64 * 2 ** 20,
} as const;

/** Bounds of the spec's numbers: anything outside is refused with the range (no silent clamping). */
export const LIMITS = {
  memory: [8 * 2 ** 20, 4 * 2 ** 30], // isolate heaps beyond 4 GiB are not supported by V8
  timeoutMs: [1, 15 * 60_000],
  cpuMs: [1, 15 * 60_000],
  concurrency: [1, 10_000],
  min: [0, 1000],
  max: [1, 1000],
  queue: [0, 1_000_000],
  queueWaitMs: [0, 15 * 60_000],
  bodyLimit: [0, 100 * 2 ** 20],
  asyncTtlMs: [1000, 7 * 86_400_000],
  asyncMaxRecords: [1, 1_000_000],
  asyncMaxBytes: [1024, 16 * 2 ** 30],
  envVars: 1000,
  envBytes: 256 * 1024,
  secrets: 100,
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

/** `--allow-net` entries, normalized to host:port and deduplicated. */
function allowNet(entries: string[] | undefined): string[] {
  const out = new Set<string>();
  for (const e of entries ?? []) {
    try {
      out.add(normalizeAllowEntry(e));
    } catch (err) {
      throw new InvalidArgument((err as Error).message);
    }
  }
  return [...out];
}

/** KV binding names: env-style names, not shadowing an env variable or secret. */
function kvNames(names: string[] | undefined, env: Record<string, string>, secrets: string[]): string[] {
  const out = [...new Set(names ?? [])];
  for (const n of out) {
    if (!ENV_KEY.test(n)) throw new InvalidArgument(`KV binding name "${n}" must be letters, digits or _`);
    if (n in env || secrets.includes(n)) throw new InvalidArgument(`KV binding ${n} would shadow the env variable or secret of the same name`);
  }
  return out;
}

/** Specs stored before a field existed get its default (the store keeps what older versions wrote). */
export function withSpecDefaults(s: FunctionSpec): FunctionSpec {
  return {
    ...s,
    asyncPublic: s.asyncPublic ?? DEFAULTS.asyncPublic,
    asyncTtlMs: s.asyncTtlMs ?? DEFAULTS.asyncTtlMs,
    asyncMaxRecords: s.asyncMaxRecords ?? DEFAULTS.asyncMaxRecords,
    asyncMaxBytes: s.asyncMaxBytes ?? DEFAULTS.asyncMaxBytes,
    allowNet: s.allowNet ?? [],
    ownHost: s.ownHost ?? false,
    kv: s.kv ?? [],
    ...withChannelDefaults(s),
  };
}

/** Validates a deploy request against the defaults (or the function's previous spec). Pure. */
export function normalizeSpec(input: DeployInput, prev: FunctionSpec | undefined, hasCode: boolean, now: string): FunctionSpec {
  validateName(input.name);
  const runtime = input.image ? 'image' : 'isolate';
  if (runtime === 'image' && hasCode) throw new InvalidArgument('give either --code or --image, not both');
  if (runtime === 'isolate' && !hasCode) throw new InvalidArgument('give --code FILE|DIR or --image IMAGE');
  if (runtime === 'image' && input.port === undefined) throw new InvalidArgument('an image function needs --port, the port its server listens on');
  const memory = size(input.memory, DEFAULTS.memory, LIMITS.memory, 'memory');
  const timeoutMs = ms(input.timeout, DEFAULTS.timeoutMs, LIMITS.timeoutMs, 'timeout');
  const cpuMs = ms(input.cpu, Math.min(DEFAULTS.cpuMs, timeoutMs), LIMITS.cpuMs, 'cpu time limit');
  const min = int(input.min, DEFAULTS.min, LIMITS.min, 'min');
  const max = int(input.max, Math.max(DEFAULTS.max, min), LIMITS.max, 'max');
  if (min > max) throw new InvalidArgument(`min (${min}) must not exceed max (${max})`);
  const env = { ...(input.env ?? {}) };
  for (const k of Object.keys(env)) if (!ENV_KEY.test(k)) throw new InvalidArgument(`env name "${k}" must be letters, digits or _`);
  const envKeys = Object.keys(env).length;
  const envBytes = Object.entries(env).reduce((a, [k, v]) => a + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (envKeys > LIMITS.envVars || envBytes > LIMITS.envBytes) throw new InvalidArgument(`env has ${envKeys} variables of ${envBytes} bytes; the limits are ${LIMITS.envVars} and ${LIMITS.envBytes} bytes`);
  const secrets = [...new Set(input.secrets ?? [])].map(validateSecretName);
  if (secrets.length > LIMITS.secrets) throw new InvalidArgument(`${secrets.length} secrets; the limit is ${LIMITS.secrets}`);
  for (const s of secrets) if (s in env) throw new InvalidArgument(`secret ${s} would shadow the env variable of the same name`);
  const keepAlive = input.keepAlive ?? DEFAULTS.keepAlive;
  parseKeepAlive(keepAlive); // validates
  if (keepAlive.trim().startsWith('fixed:')) ms(keepAlive.trim().slice(6), 0, [0, 30 * 86_400_000], 'keep-alive TTL');
  if (input.schedule) {
    try {
      new Cron(input.schedule, { paused: true }).stop();
    } catch (e) {
      throw new InvalidArgument(`schedule "${input.schedule}" is not a cron expression: ${(e as Error).message}`);
    }
  }
  if ((input.mqttTopic === undefined) !== (input.mqttUrl === undefined)) throw new InvalidArgument('--mqtt-topic and --mqtt-url go together');
  if (input.mqttUrl && !/^mqtts?:\/\//.test(input.mqttUrl)) throw new InvalidArgument(`--mqtt-url ${input.mqttUrl} must start with mqtt:// or mqtts://`);
  const deviceRule = deviceRuleSpec(input);
  if (input.port !== undefined && (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535)) throw new InvalidArgument(`port must be 1-65535, got ${input.port}`);
  return {
    name: input.name,
    namespace: input.namespace !== undefined ? validateName(input.namespace, 'namespace') : (prev?.namespace ?? 'default'),
    runtime,
    ...(input.image ? { image: input.image, port: input.port } : {}),
    memory,
    timeoutMs,
    cpuMs,
    concurrency: int(input.concurrency, runtime === 'image' ? 16 : DEFAULTS.concurrency, LIMITS.concurrency, 'concurrency'),
    min,
    max,
    queue: int(input.queue, DEFAULTS.queue, LIMITS.queue, 'queue'),
    queueWaitMs: ms(input.queueWait, DEFAULTS.queueWaitMs, LIMITS.queueWaitMs, 'queue wait'),
    bodyLimit: size(input.bodyLimit, DEFAULTS.bodyLimit, LIMITS.bodyLimit, 'body limit'),
    env,
    secrets,
    keepAlive,
    ...(input.schedule ? { schedule: input.schedule } : {}),
    ...(input.mqttTopic && input.mqttUrl ? { mqtt: { url: input.mqttUrl, topic: input.mqttTopic } } : {}),
    ...deviceRule,
    asyncPublic: input.asyncPublic ?? DEFAULTS.asyncPublic,
    asyncTtlMs: ms(input.asyncTtl, DEFAULTS.asyncTtlMs, LIMITS.asyncTtlMs, 'async result TTL'),
    asyncMaxRecords: int(input.asyncMaxRecords, DEFAULTS.asyncMaxRecords, LIMITS.asyncMaxRecords, 'async max records'),
    asyncMaxBytes: size(input.asyncMaxBytes, DEFAULTS.asyncMaxBytes, LIMITS.asyncMaxBytes, 'async max bytes'),
    allowNet: allowNet(input.allowNet),
    ownHost: input.ownHost ?? false,
    kv: [...withDevicesBinding(kvNames(input.kv, env, secrets), deviceRule), ...kvNames(input.producers, env, secrets).map((q) => `@queue:${q}`)],
    ...channelLimits(input),
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
    version: (prev?.version ?? 0) + 1,
    ...(input.origin !== undefined ? { origin: input.origin } : {}),
  };
}

/** What a keep-alive policy may know of a function up front: its memory, and that a cron triggers it. */
export function keepAliveHints(spec: FunctionSpec): { memoryMb: number; timer: boolean } {
  return { memoryMb: spec.memory / 2 ** 20, timer: !!spec.schedule && !spec.mqtt };
}
