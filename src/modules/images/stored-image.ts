// Image records as the images module keeps them (the contract's record plus what push, gc and
// root filesystems need), and how a user's reference finds one of them.
import type { ImageRecord, ImageRunConfig } from '../../contracts/images.js';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import type { Descriptor, ImageConfigBlob } from './media-types.js';
import { parseRef, repoName, tagName, type ImageRef } from './reference.js';

/** What we keep per image, beyond the contract's record. */
export interface StoredImage extends ImageRecord {
  manifestMediaType: string;
  /** Layer blobs (compressed, as the registry serves them), base first. */
  blobs: Descriptor[];
  chainIds: string[];
  /** Registry the image came from, for `push` of the same name. */
  source?: string;
}

/** Where image records live in the state store. */
export const KEY = '/images/';

export function runConfig(c: ImageConfigBlob['config'] | undefined): ImageRunConfig {
  const out: ImageRunConfig = {};
  if (!c) return out;
  if (c.Entrypoint?.length) out.entrypoint = c.Entrypoint;
  if (c.Cmd?.length) out.cmd = c.Cmd;
  if (c.Env?.length) out.env = c.Env;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.User) out.user = c.User;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.StopSignal) out.stopSignal = c.StopSignal;
  if (c.Labels && Object.keys(c.Labels).length) out.labels = c.Labels;
  const h = healthCheckOf(c.Healthcheck);
  if (h) out.healthcheck = h;
  return out;
}

/** An image's config.Healthcheck (the image author's: checked, not trusted), or undefined when it has none or it is malformed. */
export function healthCheckOf(v: unknown): ImageRunConfig['healthcheck'] {
  if (!v || typeof v !== 'object') return undefined;
  const h = v as Record<string, unknown>;
  const test = Array.isArray(h.Test) && h.Test.every((x) => typeof x === 'string') ? (h.Test as string[]).slice(0, 256) : [];
  if (!test.length) return undefined;
  // Docker stores nanoseconds; 0 means "the default".
  const ms = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.max(1, Math.round(x / 1e6)) : undefined);
  const retries = typeof h.Retries === 'number' && Number.isInteger(h.Retries) && h.Retries > 0 ? h.Retries : undefined;
  const out: NonNullable<ImageRunConfig['healthcheck']> = { test };
  for (const [k, val] of [['intervalMs', ms(h.Interval)], ['timeoutMs', ms(h.Timeout)], ['startPeriodMs', ms(h.StartPeriod)], ['retries', retries]] as const) if (val !== undefined) out[k] = val;
  return out;
}

/** The public record: the contract's fields only. */
export const publicRecord = (s: StoredImage): ImageRecord => ({
  id: s.id,
  digest: s.digest,
  repoTags: s.repoTags,
  size: s.size,
  created: s.created,
  platform: s.platform,
  config: s.config,
  layers: s.layers,
});

/** By id (or a 12+ hex prefix), manifest digest, name:tag, or name@digest. */
export function findStored(all: readonly StoredImage[], ref: string): StoredImage {
  const s = ref.trim();
  const hexish = s.replace(/^sha256:/, '');
  if (/^[a-f0-9]{12,64}$/.test(hexish)) {
    const hits = all.filter((i) => i.id.slice(7).startsWith(hexish) || i.digest.slice(7).startsWith(hexish));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new InvalidArgument(`image id prefix ${s} is ambiguous`);
  }
  let parsed: ImageRef | undefined;
  try {
    parsed = parseRef(s);
  } catch {
    /* not a reference */
  }
  if (parsed) {
    const name = repoName(parsed);
    const hit = parsed.digest
      ? all.find((i) => i.digest === parsed.digest && (i.repoTags.some((t) => t.startsWith(name + ':') || t.startsWith(name + '@')) || i.source === name))
      : all.find((i) => i.repoTags.includes(tagName(parsed)));
    if (hit) return hit;
  }
  throw new NotFound(`image ${ref} not found locally (pull it first)`);
}
