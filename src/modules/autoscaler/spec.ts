// Parsing an autoscaler object (its schema is on the autoscaler contract) into a policy's config.
import { autoscalerSpecSchema, type AutoscalerSpec } from '../../contracts/autoscaler.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { AutoscaleConfig } from '../../policies/index.js';

export { autoscalerSpecSchema, type AutoscalerSpec };

export function parseAutoscalerSpec(input: unknown): AutoscalerSpec {
  const r = autoscalerSpecSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new InvalidArgument(`autoscaler ${i.path.join('.') || 'spec'}: ${i.message}`);
  }
  return r.data;
}

/** Sampling periods as the peers use them: KPA ticks every 2 s (and blend, whose fast path is KPA's), HPA syncs every 15 s. */
export function defaultPeriodMs(policy: string): number {
  return policy === 'concurrency' || policy === 'blend' ? 2000 : 15_000;
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
