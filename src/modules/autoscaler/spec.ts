// An autoscaler object: which target it scales, with which policy, on which metrics, within
// which bounds. Stored at /autoscalers/<namespace>/<name>; HPA manifests map onto it.
import { z } from 'zod';
import { InvalidArgument } from '../../kernel/errors.js';
import { scalingPolicies, type AutoscaleConfig } from './policies/index.js';

const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const autoscalerSpecSchema = z
  .object({
    name: z.string().regex(dnsName, 'must be a DNS label (lower case letters, digits, -)'),
    namespace: z.string().regex(dnsName).default('default'),
    /** "service/NAME" or "function/NAME". */
    target: z.string().regex(/^(service|function)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be service/NAME or function/NAME'),
    policy: z.enum(Object.keys(scalingPolicies) as [string, ...string[]]),
    min: z.number().int().min(0),
    max: z.number().int().min(1),
    metrics: z
      .array(
        // HPA manifests are stored with `name` (after autoscaling/v2's metric names); the CLI writes `metric`.
        z.preprocess(
          (m) => (m && typeof m === 'object' && !('metric' in m) && 'name' in m ? { metric: (m as { name: unknown }).name, target: (m as unknown as { target: unknown }).target } : m),
          z.object({ metric: z.enum(['cpu', 'memory', 'rps', 'concurrency']), target: z.number().positive() }),
        ),
      )
      .min(1),
    periodMs: z.number().int().min(100).optional(),
    startupMs: z.number().int().min(0).optional(),
    /** HPA behavior overrides (tolerance, scaleUp, scaleDown), as in autoscaling/v2. */
    hpa: z.record(z.string(), z.unknown()).optional(),
    /** KPA settings (stableWindowMs, panicThresholdPct, scaleToZeroGraceMs, ...). */
    kpa: z.record(z.string(), z.unknown()).optional(),
    /** Who created it: "cli" or "manifest". */
    source: z.string().optional(),
  })
  .refine((s) => s.min <= s.max, { message: 'min must not exceed max', path: ['min'] });

export type AutoscalerSpec = z.infer<typeof autoscalerSpecSchema>;

export function parseAutoscalerSpec(input: unknown): AutoscalerSpec {
  const r = autoscalerSpecSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new InvalidArgument(`autoscaler ${i.path.join('.') || 'spec'}: ${i.message}`);
  }
  return r.data;
}

/** Sampling periods as the peers use them: KPA ticks every 2 s, HPA syncs every 15 s. */
export function defaultPeriodMs(policy: string): number {
  return policy === 'concurrency' ? 2000 : 15_000;
}

export function policyConfig(spec: AutoscalerSpec): AutoscaleConfig {
  return {
    min: spec.min,
    max: spec.max,
    metrics: spec.metrics,
    periodMs: spec.periodMs ?? defaultPeriodMs(spec.policy),
    startupMs: spec.startupMs ?? 5000,
    ...(spec.hpa ? { hpa: spec.hpa as AutoscaleConfig['hpa'] } : {}),
    ...(spec.kpa ? { kpa: spec.kpa as AutoscaleConfig['kpa'] } : {}),
  };
}
