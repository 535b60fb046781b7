// Platform strings ("linux/amd64", "linux/arm64/v8") and choosing a manifest from an index.
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import type { Descriptor } from './media-types.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export function parsePlatform(s: string | undefined): Platform {
  if (!s) return DEFAULT_PLATFORM;
  const [os, architecture, variant, extra] = s.split('/');
  if (!os || !architecture || extra !== undefined) throw new InvalidArgument(`platform "${s}" is not OS/ARCH[/VARIANT]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export const formatPlatform = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** Picks the index entry for a platform; a missing variant matches any (arm64 is v8 by default). */
export function selectManifest(manifests: readonly Descriptor[], want: Platform): Descriptor {
  const candidates = manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = candidates.find((m) => (m.platform!.variant ?? '') === (want.variant ?? ''));
  const pick = exact ?? (want.variant ? undefined : candidates[0]);
  if (!pick) {
    const have = manifests.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
    throw new NotFound(`no image for platform ${formatPlatform(want)} (the index has: ${have || 'nothing'})`);
  }
  return pick;
}
