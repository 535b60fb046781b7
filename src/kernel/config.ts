// <data-dir>/config.json: validated with zod at boot, so a typo or a wrong type refuses boot with
// one line naming the field instead of surfacing later as an odd module failure.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgument, errorMessage } from './errors.js';

export interface LlmosConfig {
  listen: string;
  gateway: string;
  /** Docker Engine API socket; '' = /run/llmos/docker.sock for the default data dir, else <data-dir>/modules/llmos.docker-api.v1.socket/docker.sock. */
  dockerSocket: string;
  /** Per-module config by short name ("images") or uri; `enabled: false` keeps it unloaded. */
  modules: Record<string, { enabled?: boolean } & Record<string, unknown>>;
  /** Capacity held back for the system and LLMOS itself. */
  reserved: { cpu: number; memory: number };
}

export const defaultConfig: LlmosConfig = {
  listen: '127.0.0.1:7070',
  gateway: '127.0.0.1:8080',
  dockerSocket: '',
  modules: {},
  reserved: { cpu: 100, memory: 256 * 2 ** 20 },
};

const address = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected HOST:PORT');
// Module settings are validated by each module's own validate(); here only their shape.
const moduleSettings = z.object({ enabled: z.boolean().optional() }).catchall(z.unknown());

export const configFileSchema = z
  .object({
    listen: address.optional(),
    gateway: address.optional(),
    dockerSocket: z.string().min(1).max(107).startsWith('/', 'expected an absolute path').optional(),
    modules: z.record(z.string().min(1), moduleSettings).optional(),
    reserved: z
      .object({
        cpu: z.number().int().min(0).max(1e9).optional(), // millicores
        memory: z.number().int().min(0).max(2 ** 53).optional(), // bytes
      })
      .strict()
      .optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Parses config.json text; InvalidArgument naming the file and the first bad field. */
export function parseConfigFile(text: string, file: string): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgument(`${file}: not valid JSON: ${errorMessage(e)}`);
  }
  const r = configFileSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : '(top level)';
    const keys = i.code === 'unrecognized_keys' ? ` ${i.keys.join(', ')}` : '';
    return `${field}: ${i.message}${keys}`;
  });
  throw new InvalidArgument(`${file}: ${issues.join('; ')}`);
}

/** Reads <dataDir>/config.json (absent: defaults) and applies overrides (undefined ones skipped). */
export async function readConfig(dataDir: string, over: Partial<LlmosConfig> = {}): Promise<LlmosConfig> {
  const p = path.join(dataDir, 'config.json');
  let file: ConfigFile = {};
  try {
    file = parseConfigFile(await readFile(p, 'utf8'), p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e instanceof InvalidArgument ? e : new InvalidArgument(`${p}: ${errorMessage(e)}`);
  }
  return Object.freeze({
    ...defaultConfig,
    ...Object.fromEntries(Object.entries(file).filter(([, v]) => v !== undefined)),
    ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)),
    // Per module, flags override fields of the file's config, not the whole of it.
    modules: Object.fromEntries([...new Set([...Object.keys(file.modules ?? {}), ...Object.keys(over.modules ?? {})])].map((k) => [k, { ...file.modules?.[k], ...over.modules?.[k] }])),
    reserved: { ...defaultConfig.reserved, ...(file.reserved ?? {}) },
  }) as LlmosConfig;
}
