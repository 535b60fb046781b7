// The autoscaler contract: the autoscaler object (`POST /v1/autoscalers`, HPA manifests), its
// `--metric` flags and the decisions it records. Stored at /autoscalers/<namespace>/<name>.
import { z } from 'zod';
import type { ScaleTargetMetrics } from './scaling.js';

/** The scaling policies the autoscaler module implements (its policies/index.ts maps each name). */
export const scalingPolicyNames = ['threshold', 'concurrency', 'predictive', 'learned', 'blend'] as const;
export type ScalingPolicyName = (typeof scalingPolicyNames)[number];

export const metricNames = ['cpu', 'memory', 'rps', 'concurrency'] as const;
export type MetricName = (typeof metricNames)[number];

/**
 * cpu/memory: target mean utilisation of requests, in percent (HPA "Utilization").
 * rps/concurrency: target value per replica (HPA "AverageValue"; KPA's target concurrency).
 */
export const metricTargetSchema = z.object({ metric: z.enum(metricNames), target: z.number().positive() });
export type MetricTarget = z.infer<typeof metricTargetSchema>;

const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const autoscalerSpecSchema = z
  .object({
    name: z.string().regex(dnsName, 'must be a DNS label (lower case letters, digits, -)'),
    namespace: z.string().regex(dnsName).default('default'),
    /** "service/NAME" or "function/NAME". */
    target: z.string().regex(/^(service|function)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be service/NAME or function/NAME'),
    policy: z.enum(scalingPolicyNames).default('blend'),
    min: z.number().int().min(0),
    max: z.number().int().min(1),
    metrics: z
      .array(
        // HPA manifests are stored with `name` (after autoscaling/v2's metric names); the CLI writes `metric`.
        z.preprocess(
          (m) => (m && typeof m === 'object' && !('metric' in m) && 'name' in m ? { metric: (m as { name: unknown }).name, target: (m as unknown as { target: unknown }).target } : m),
          metricTargetSchema,
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

/** A `--metric` flag: "cpu=60%", "memory=70%", "rps=100", "concurrency=10" -> a metric target. */
export const metricFlagSchema = z.string().transform((flag, ctx): MetricTarget => {
  const m = /^(cpu|memory|rps|concurrency)=(\d+(?:\.\d+)?)(%?)$/.exec(flag.trim());
  const fail = (message: string): MetricTarget => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (!m) return fail(`metric "${flag}" is not one of cpu=60%, memory=70%, rps=100, concurrency=10`);
  const metric = m[1] as MetricName;
  if ((metric === 'cpu' || metric === 'memory') !== (m[3] === '%')) return fail(`metric "${flag}": cpu and memory take a percentage of requests, rps and concurrency a per-replica value`);
  const target = Number(m[2]);
  if (!(target > 0)) return fail(`metric "${flag}": target must be positive`);
  return { metric, target };
});

/** One replica's sample, for HPA's missing and not-ready rules. Values as in MetricTarget. */
export interface PodSample {
  ready: boolean;
  values: Partial<Record<MetricName, number>>;
}

/** What a scaling policy reads on each tick. */
export interface ScalingInput extends ScaleTargetMetrics {
  /** Per-replica samples, when the caller has them; else the aggregates of ScaleTargetMetrics are used. */
  pods?: PodSample[];
}

/** One recorded decision (`GET /v1/autoscalers/NS/NAME/decisions`). */
export interface Decision {
  time: string;
  target: string;
  policy: string;
  inputs: ScalingInput;
  before: number;
  after: number;
  reason: string;
  /** False when the target could not be scaled (the error is in reason). */
  applied: boolean;
}

// ---- Response schemas (the API's answers) ----

/** A stored autoscaler (what autoscalerSpecSchema makes of the input). */
export const autoscalerOutSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  target: z.string(),
  policy: z.enum(scalingPolicyNames),
  min: z.number(),
  max: z.number(),
  metrics: z.array(metricTargetSchema),
  periodMs: z.number().optional(),
  startupMs: z.number().optional(),
  hpa: z.record(z.string(), z.unknown()).optional(),
  kpa: z.record(z.string(), z.unknown()).optional(),
  source: z.string().optional(),
});
const metricValues = z.object({ cpu: z.number().optional(), memory: z.number().optional(), rps: z.number().optional(), concurrency: z.number().optional() });
export const decisionSchema = z.object({
  time: z.string(),
  target: z.string(),
  policy: z.string(),
  inputs: z.object({
    replicas: z.number(),
    readyReplicas: z.number(),
    cpuUtilization: z.number().optional(),
    memoryUtilization: z.number().optional(),
    rps: z.number().optional(),
    concurrency: z.number().optional(),
    pods: z.array(z.object({ ready: z.boolean(), values: metricValues })).optional(),
  }),
  before: z.number(),
  after: z.number(),
  reason: z.string(),
  applied: z.boolean(),
});
