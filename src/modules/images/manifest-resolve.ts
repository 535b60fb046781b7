// A reference's manifest: the registry's answer for a tag or digest, and when that is an image
// index, the entry for the wanted platform (an index inside an index is refused).
import { z } from 'zod';
import { InvalidArgument } from '../../kernel/errors.js';
import { MT, manifestKind, type Manifest } from './media-types.js';
import { formatPlatform, selectManifest, type Platform } from './platform.js';
import { indexSchema, manifestSchema, parseJsonWith, validateWith } from './schemas.js';

export type FetchManifest = (reference: string) => Promise<{ bytes: Buffer; mediaType?: string; digest: string }>;

export interface ResolvedManifest {
  manifest: Manifest;
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** The reference named a manifest, not an index: its platform is whatever the image says. */
  singlePlatform: boolean;
}

const jsonObject = z.record(z.string(), z.unknown());
const stringOr = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);

/** `top` is the tag or digest the reference names; `refStr` names it in errors. */
export async function resolveManifest(fetch: FetchManifest, top: string, refStr: string, want: Platform): Promise<ResolvedManifest> {
  const first = await fetch(top);
  let manifestBytes = first.bytes;
  let manifestDigest = first.digest;
  let body = parseJsonWith(jsonObject, first.bytes, `${refStr}: manifest`);
  let kind = manifestKind(body, first.mediaType);
  let mediaType = stringOr(body.mediaType, first.mediaType?.split(';')[0] ?? MT.ociManifest);
  if (kind === 'index') {
    const index = validateWith(indexSchema, body, `${refStr}: image index`);
    const desc = selectManifest(index.manifests, want);
    const m = await fetch(desc.digest);
    manifestBytes = m.bytes;
    manifestDigest = m.digest;
    body = parseJsonWith(jsonObject, m.bytes, `${refStr}: manifest`);
    kind = manifestKind(body, m.mediaType);
    mediaType = stringOr(body.mediaType, m.mediaType?.split(';')[0] ?? desc.mediaType ?? MT.ociManifest);
    if (kind !== 'manifest') throw new InvalidArgument(`${refStr}: the index entry for ${formatPlatform(want)} is itself an index`);
  }
  const manifest: Manifest = validateWith(manifestSchema, body, `${refStr}: manifest`);
  return { manifest, bytes: manifestBytes, digest: manifestDigest, mediaType, singlePlatform: first.digest === manifestDigest };
}
