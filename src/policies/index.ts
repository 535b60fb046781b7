// The scaling policies by name: the live autoscaler and the simulator both look them up here.
import type { ScalingPolicy } from '../contracts/policies.js';
import { InvalidArgument } from '../kernel/errors.js';
import { blendPolicy } from './blend.js';
import { concurrencyPolicy } from './concurrency.js';
import { learnedPolicy } from './learned.js';
import { predictivePolicy } from './predictive.js';
import { thresholdPolicy } from './threshold.js';
import type { ScalingPolicyName } from '../contracts/autoscaler.js';
import type { AutoscaleConfig, ScalingInput } from './types.js';

export type { ScalingPolicyName };

export const scalingPolicies: Readonly<Record<ScalingPolicyName, ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>>> = Object.freeze({
  threshold: thresholdPolicy as ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>,
  concurrency: concurrencyPolicy as ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>,
  predictive: predictivePolicy as ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>,
  learned: learnedPolicy as ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>,
  blend: blendPolicy as ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>,
});

export function scalingPolicy(name: string): ScalingPolicy<ScalingInput, unknown, AutoscaleConfig> {
  const p = (scalingPolicies as Record<string, ScalingPolicy<ScalingInput, unknown, AutoscaleConfig>>)[name];
  if (!p) throw new InvalidArgument(`unknown scaling policy "${name}" (use ${Object.keys(scalingPolicies).join(', ')})`);
  return p;
}

export { fixedKeepAlive, hybridKeepAlive, parseKeepAlive } from './keepalive.js';
export { adaptiveKeepAlive } from './adaptive-keepalive.js';
export { costKeepAlive } from './cost-keepalive.js';
export * from './types.js';
