// The health check a container runs: its own flags over its image's HEALTHCHECK, field by field,
// as Docker merges them at create (daemon/commit.go merge): no flags take the image's check;
// a flag set without --health-cmd keeps the image's test; ["NONE"] (--no-healthcheck) disables.
import type { ContainerSpec, Healthcheck } from '../../contracts/containers.js';
import type { ImageRunConfig } from '../../contracts/images.js';

const day = 24 * 3600_000;
const clamp = (v: number | undefined, max: number) => (v === undefined ? undefined : Math.min(Math.max(1, Math.round(v)), max));

/** The image's check within the ranges a user's flags are held to (the image author is not trusted). */
function fromImage(h: NonNullable<ImageRunConfig['healthcheck']>): Healthcheck {
  return { test: h.test, intervalMs: clamp(h.intervalMs, day), timeoutMs: clamp(h.timeoutMs, day), startPeriodMs: clamp(h.startPeriodMs, day), retries: clamp(h.retries, 1000) };
}

export function mergeHealthcheck(user: Healthcheck | undefined, image: ImageRunConfig['healthcheck']): Healthcheck | undefined {
  if (!image?.test.length) return user;
  const img = fromImage(image);
  if (!user) return img;
  if (user.test[0] === 'NONE') return user;
  return {
    test: user.test.length ? user.test : img.test,
    intervalMs: user.intervalMs ?? img.intervalMs,
    timeoutMs: user.timeoutMs ?? img.timeoutMs,
    startPeriodMs: user.startPeriodMs ?? img.startPeriodMs,
    retries: user.retries ?? img.retries,
  };
}

/** The spec's healthcheck field after the merge, to spread into the recorded spec ({} when there is none). */
export function imageHealthcheck(spec: ContainerSpec, image: ImageRunConfig): Pick<ContainerSpec, 'healthcheck'> {
  const h = mergeHealthcheck(spec.healthcheck, image.healthcheck);
  if (!h) return {};
  const defined = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Healthcheck;
  return { healthcheck: defined };
}
