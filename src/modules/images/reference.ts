// Image references in the Docker/OCI grammar: [registry[:port]/]path[:tag][@digest], with
// Docker Hub's normalisation (busybox -> docker.io/library/busybox:latest).
import { InvalidArgument } from '../../kernel/errors.js';

export interface ImageRef {
  /** Registry host as written ("127.0.0.1:5000", "docker.io"). */
  registry: string;
  /** Repository path ("library/busybox", "team/app"). */
  repository: string;
  tag?: string;
  digest?: string;
}

const componentRe = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const digestRe = /^sha256:[a-f0-9]{64}$/;

export const DOCKER_HUB = 'docker.io';

export function parseRef(input: string): ImageRef {
  const s = input.trim();
  if (!s) throw new InvalidArgument('empty image reference');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw new InvalidArgument(`image reference ${input}: digest must be sha256:<64 hex>`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw new InvalidArgument(`image reference ${input}: bad tag "${tag}"`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  // The first component is a registry when it looks like a host: has a dot or port, or is localhost.
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) registry = parts.shift()!;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) if (!componentRe.test(p)) throw new InvalidArgument(`image reference ${input}: bad repository component "${p}" (lowercase letters, digits, . _ -)`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), tag, digest };
}

/** Canonical name "registry/repository" (for Docker Hub: "docker.io/library/x"). */
export const repoName = (r: ImageRef): string => `${r.registry}/${r.repository}`;

/** The full reference: name:tag, name@digest or name:tag@digest. */
export function formatRef(r: ImageRef): string {
  return `${repoName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** The name:tag an image is listed under (digest-only pulls are listed as name@digest). */
export const tagName = (r: ImageRef): string => (r.tag ? `${repoName(r)}:${r.tag}` : `${repoName(r)}@${r.digest}`);

/** Where to send API calls: Docker Hub's API host differs from its name. */
export const registryEndpointHost = (registry: string): string => (registry === DOCKER_HUB ? 'registry-1.docker.io' : registry);

/** Plain HTTP for loopback hosts and registries the operator listed as insecure; TLS otherwise. */
export function registryScheme(registry: string, insecure: readonly string[]): 'http' | 'https' {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '127.0.0.1' || host === '::1' || host.startsWith('127.')) return 'http';
  return insecure.includes(registry) || insecure.includes(host) ? 'http' : 'https';
}
