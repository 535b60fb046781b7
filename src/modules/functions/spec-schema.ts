// The wire shape of a deploy request (`POST /v1/functions`, and `kind: Function` manifests), one zod
// schema for the API route and the fuzz tests. It checks types and string lengths; ranges and
// cross-field rules are normalizeSpec's (spec.ts), so every caller gets the same reasons.
import { z } from 'zod';
import type { DeployInput } from './spec.js';

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

// The schema and the TypeScript input type must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.infer<typeof deployInputSchema>, DeployInput> = true;
void sameShape;
