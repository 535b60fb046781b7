// The functions contract's wire shape of a deploy request (`POST /v1/functions`, and `kind: Function`
// manifests): one zod schema for the API route, the module and the fuzz tests. It checks types and
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
});

/** The deploy body: the input plus isolate code (file name -> source). */
export const deployBodySchema = deployInputSchema.extend({
  code: z.object({ files: z.record(text(1024), z.string()), entry: text(1024).optional() }).optional(),
});

/** What `fn deploy` sends (sizes and durations as text or numbers). */
export type DeployInput = z.infer<typeof deployInputSchema>;
