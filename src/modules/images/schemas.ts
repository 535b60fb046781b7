// zod schemas of what registries and archives send us: manifests, indexes, image configs and
// docker-save manifest.json. Both are untrusted: anything malformed is an InvalidArgument naming
// the field, never a TypeError deep in the pull (a 500). Unknown fields are kept (loose objects).
import { z } from 'zod';
import { InvalidArgument } from '../../kernel/errors.js';
import { digestRe } from './reference.js';

const digest = z.string().regex(digestRe, 'must be sha256:<64 hex>');
const strings = z.array(z.string());

export const descriptorSchema = z.looseObject({
  mediaType: z.string().max(255),
  digest,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  platform: z.looseObject({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  urls: strings.optional(),
});

export const manifestSchema = z.looseObject({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

export const indexSchema = z.looseObject({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
});

const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const imageConfigSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  config: nullable(
    z.looseObject({
      Entrypoint: nullable(strings),
      Cmd: nullable(strings),
      Env: nullable(strings),
      WorkingDir: z.string().optional(),
      User: z.string().optional(),
      ExposedPorts: nullable(z.record(z.string(), z.unknown())),
      StopSignal: z.string().optional(),
      Labels: nullable(z.record(z.string(), z.string())),
      // Docker's HEALTHCHECK; durations in ns. Loose: a malformed one is ignored (healthCheckOf), not fatal to the pull.
      Healthcheck: nullable(z.unknown()),
    }),
  ),
  rootfs: z.looseObject({ type: z.string().optional(), diff_ids: z.array(digest) }).optional(),
});

export const dockerSaveSchema = z
  .array(
    z.looseObject({
      Config: z.string().min(1),
      RepoTags: nullable(strings),
      Layers: z.array(z.string().min(1)),
    }),
  )
  .min(1, 'lists no images');

/** The first problem, as "field.path: message". */
function describe(err: z.ZodError): string {
  const i = err.issues[0]!;
  const at = i.path.length ? i.path.map(String).join('.') : '(top level)';
  return `${at}: ${i.message}`;
}

/** Parses JSON bytes and checks them against a schema; an InvalidArgument names what is wrong. */
export function parseJsonWith<T extends z.ZodType>(schema: T, bytes: Buffer | string, what: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new InvalidArgument(`${what} is not valid JSON`);
  }
  return validateWith(schema, raw, what);
}

export function validateWith<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new InvalidArgument(`${what} is malformed: ${describe(r.error)}`);
  return r.data;
}

export type Descriptor = z.infer<typeof descriptorSchema>;
export type Manifest = z.infer<typeof manifestSchema>;
export type Index = z.infer<typeof indexSchema>;
export type ImageConfigBlob = z.infer<typeof imageConfigSchema>;
