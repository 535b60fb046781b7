// Media types of the OCI image spec and Docker's schema 2.
import { InvalidArgument } from '../../kernel/errors.js';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Every manifest and index type we can read: always sent in Accept (registries 404 otherwise). */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', ');

export const isIndex = (mt: string | undefined): boolean => mt === MT.ociIndex || mt === MT.dockerList;
export const isManifest = (mt: string | undefined): boolean => mt === MT.ociManifest || mt === MT.dockerManifest;

// The wire types are derived from their zod schemas (one definition).
export type { Descriptor, Manifest, Index, ImageConfigBlob } from './schemas.js';

/** A manifest body's media type: the field, or the Content-Type the registry sent. */
export function manifestKind(body: { mediaType?: unknown; manifests?: unknown; config?: unknown }, contentType?: string): 'index' | 'manifest' {
  const mt = typeof body.mediaType === 'string' ? body.mediaType : contentType?.split(';')[0]?.trim();
  if (isIndex(mt) || (!mt && Array.isArray(body.manifests))) return 'index';
  if (isManifest(mt) || body.config) return 'manifest';
  // The registry's data: a bad answer is the image's fault, not ours.
  throw new InvalidArgument(`unsupported manifest media type ${String(mt ?? '(none)').slice(0, 100)}`);
}
