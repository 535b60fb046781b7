// Media types of the OCI image spec and Docker's schema 2.
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

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Index {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The parts of an image config blob we read. */
export interface ImageConfigBlob {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, object> | null;
    StopSignal?: string;
    Labels?: Record<string, string> | null;
  };
  rootfs?: { type: string; diff_ids: string[] };
}

/** A manifest body's media type: the field, or the Content-Type the registry sent. */
export function manifestKind(body: { mediaType?: string; manifests?: unknown; config?: unknown }, contentType?: string): 'index' | 'manifest' {
  const mt = body.mediaType ?? contentType?.split(';')[0]?.trim();
  if (isIndex(mt) || (!mt && Array.isArray(body.manifests))) return 'index';
  if (isManifest(mt) || body.config) return 'manifest';
  throw new Error(`unsupported manifest media type ${mt ?? '(none)'}`);
}
