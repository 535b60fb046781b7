// Success schemas for routes whose file declares none (api/routes/images.ts is owned by the images
// work; its answers are documented here until that file declares them itself). Keyed "METHOD url".
import { z } from 'zod';
import { imageRecordSchema } from '../../../contracts/images.js';

const ok = (schema: z.ZodType) => ({ 200: schema });

export const fallbackResponses: Readonly<Record<string, Record<number, z.ZodType>>> = {
  'GET /v1/images': ok(z.object({ images: z.array(imageRecordSchema) })),
  'GET /v1/images/inspect': ok(imageRecordSchema),
  'GET /v1/images/rootfs': ok(z.object({ rootfs: z.array(z.string()) })),
  // With Accept: application/x-ndjson the answer is a stream of PullStreamLine instead.
  'POST /v1/images/pull': ok(imageRecordSchema),
  'DELETE /v1/images': ok(z.object({ untagged: z.array(z.string()), deleted: z.string().optional() })),
  'POST /v1/images/prune': ok(z.object({ images: z.array(z.string()), blobs: z.number(), snapshots: z.number(), bytes: z.number() })),
  'POST /v1/images/tag': ok(imageRecordSchema),
  'POST /v1/images/push': ok(z.object({ ref: z.string(), digest: z.string(), blobs: z.array(z.object({ digest: z.string(), status: z.string() })) })),
  'POST /v1/images/login': ok(z.object({ registry: z.string(), username: z.string(), stored: z.literal(true) })),
  'POST /v1/images/logout': ok(z.object({ registry: z.string(), stored: z.literal(false) })),
  'POST /v1/images/load': ok(z.object({ images: z.array(imageRecordSchema) })),
  'POST /v1/images/import': ok(imageRecordSchema),
};
