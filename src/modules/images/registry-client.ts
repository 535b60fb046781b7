// A client of the OCI distribution API: manifests, blobs (with Range for resume), uploads, and
// the auth dance (anonymous, Basic, Bearer token from the WWW-Authenticate realm/service/scope).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { InvalidArgument, NotFound, Unauthenticated, Unavailable, errorMessage } from '../../kernel/errors.js';
import { parseChallenge, type Credential } from './auth.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { registryEndpointHost, registryScheme, type ImageRef } from './reference.js';

export interface RegistryClientOptions {
  insecure: readonly string[];
  credentials(registry: string): Promise<Credential | undefined>;
  userAgent?: string;
}

type Action = 'pull' | 'pull,push';

interface Resp {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };
}

// undici loads on the first registry request, not at boot: it is ~16 MiB of the daemon's idle RSS.
let undiciLib: Promise<typeof import('undici')> | undefined;
// A CommonJS package: its module.exports is the namespace's default (Node, and esbuild's chunk).
const undici = () => (undiciLib ??= import('undici').then((m) => ((m as unknown as { default?: typeof m }).default ?? m)));

const header = (h: Resp['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class RegistryClient {
  private agentP?: Promise<Agent>;
  private readonly agent = () => (this.agentP ??= undici().then((u) => new u.Agent({ connections: 16, keepAliveTimeout: 10_000 })));
  /** Authorization header per registry + repository + action set. */
  private readonly authCache = new Map<string, string>();

  constructor(private readonly opts: RegistryClientOptions) {}

  base(registry: string): string {
    return `${registryScheme(registry, this.opts.insecure)}://${registryEndpointHost(registry)}`;
  }

  async close(): Promise<void> {
    if (this.agentP) await (await this.agentP).close();
  }

  /**
   * Sends a request under /v2/, authenticating on a 401 challenge and following redirects (blob
   * storage often lives elsewhere). Bodies must be re-sendable: strings/Buffers, or a factory.
   */
  async send(
    ref: Pick<ImageRef, 'registry' | 'repository'>,
    method: Dispatcher.HttpMethod,
    pathOrUrl: string,
    init: { headers?: Record<string, string>; body?: () => Dispatcher.DispatchOptions['body']; action?: Action; signal?: AbortSignal } = {},
  ): Promise<Resp> {
    const action = init.action ?? 'pull';
    const key = `${ref.registry}|${ref.repository}|${action}`;
    let url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base(ref.registry)}/v2/${pathOrUrl}`;
    let authed = false;
    for (let hop = 0; hop < 8; hop++) {
      const sameHost = new URL(url).host === new URL(this.base(ref.registry)).host;
      const auth = sameHost ? this.authCache.get(key) : undefined;
      let res: Resp;
      try {
        res = (await (await undici()).request(url, {
          method,
          dispatcher: await this.agent(),
          headers: { 'user-agent': this.opts.userAgent ?? 'llmos', ...init.headers, ...(auth ? { authorization: auth } : {}) },
          body: init.body?.(),
          signal: init.signal,
        })) as unknown as Resp;
      } catch (e) {
        if (init.signal?.aborted) throw e;
        throw new Unavailable(`registry ${ref.registry}: ${method} ${new URL(url).pathname}: ${errorMessage(e)}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ''}`, { cause: e });
      }
      if (res.statusCode === 401 && sameHost && !authed) {
        const challenge = parseChallenge(header(res.headers, 'www-authenticate'));
        await res.body.dump();
        authed = true;
        const value = await this.authorize(ref, action, challenge, init.signal);
        if (!value) throw new Unauthenticated(`registry ${ref.registry} requires authentication: run \`llmos login ${ref.registry}\``);
        this.authCache.set(key, value);
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        if (!header(res.headers, 'location')) {
          await res.body.dump();
          throw new InvalidArgument(`registry ${ref.registry} answered ${method} ${new URL(url).pathname} with a redirect (HTTP ${res.statusCode}) without a Location`);
        }
        await res.body.dump();
        url = registryUrl(ref.registry, header(res.headers, 'location')!, url, 'redirect');
        continue;
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        const msg = await registryError(res);
        throw new Unauthenticated(`registry ${ref.registry} refused access to ${ref.repository} (${action}): ${msg}`);
      }
      return res;
    }
    throw new InvalidArgument(`registry ${ref.registry}: too many redirects (more than 8) for ${method} ${new URL(pathOrUrl, this.base(ref.registry)).pathname}`);
  }

  /** Answers a challenge: Basic with the stored credential, or a Bearer token from the realm. */
  private async authorize(ref: Pick<ImageRef, 'registry' | 'repository'>, action: Action, ch: ReturnType<typeof parseChallenge>, signal?: AbortSignal): Promise<string | undefined> {
    const cred = await this.opts.credentials(ref.registry);
    const basic = cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : undefined;
    if (!ch || ch.scheme === 'basic') return basic;
    if (ch.scheme !== 'bearer' || !ch.params.realm) throw new InvalidArgument(`registry ${ref.registry}: unsupported auth challenge "${ch.scheme.slice(0, 40)}"${ch.scheme === 'bearer' ? ' (no realm)' : ''}`);
    const u = tokenRealm(ref.registry, ch.params.realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    // Ask for the scope this request needs (the challenge's scope may be narrower, e.g. pull only).
    u.searchParams.set('scope', `repository:${ref.repository}:${action}`);
    if (cred) u.searchParams.set('account', cred.username);
    let res: Resp;
    try {
      res = (await (await undici()).request(u, { dispatcher: await this.agent(), headers: { ...(basic ? { authorization: basic } : {}), 'user-agent': this.opts.userAgent ?? 'llmos' }, signal })) as unknown as Resp;
    } catch (e) {
      throw new Unavailable(`token server ${u.origin}: ${errorMessage(e)}`, { cause: e });
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      throw new Unauthenticated(`token server ${u.origin} refused ${cred ? `the credentials of ${cred.username}` : 'anonymous access'} for ${ref.registry}/${ref.repository}`);
    }
    if (res.statusCode !== 200) throw new Unavailable(`token server ${u.origin}: HTTP ${res.statusCode}: ${await registryError(res)}`);
    const text = await readCapped(res, 1 << 20, `token server ${u.origin}`);
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new InvalidArgument(`token server ${u.origin} answered with something that is not JSON`);
    }
    const token = body?.token ?? body?.access_token;
    if (typeof token !== 'string' || !token) throw new InvalidArgument(`token server ${u.origin} answered without a token`);
    // A header value cannot carry CR/LF or other controls: undici would throw on them.
    if (!/^[\x21-\x7e]+$/.test(token)) throw new InvalidArgument(`token server ${u.origin} answered with a token that is not a header-safe string`);
    return `Bearer ${token}`;
  }

  /** Fetches a manifest or index by tag or digest; a digest reference is verified. */
  async getManifest(ref: ImageRef, reference: string, signal?: AbortSignal): Promise<{ bytes: Buffer; mediaType?: string; digest: string }> {
    const res = await this.send(ref, 'GET', `${ref.repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT }, signal });
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new NotFound(`image ${ref.registry}/${ref.repository}:${reference} not found in the registry`);
    }
    if (res.statusCode !== 200) throw new Unavailable(`registry ${ref.registry}: manifest ${ref.repository}:${reference}: HTTP ${res.statusCode}: ${await registryError(res)}`);
    const bytes = await readCappedBody(res.body, 4 * 2 ** 20, `manifest of ${ref.repository}`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) throw new InvalidArgument(`manifest ${reference} from ${ref.registry} does not match its digest (got ${digest})`);
    return { bytes, mediaType: header(res.headers, 'content-type'), digest };
  }

  /** Opens a blob, from byte `offset` on when given (206 expected; 200 means the server ignored Range). */
  async openBlob(ref: ImageRef, digest: string, offset = 0, signal?: AbortSignal): Promise<{ body: Resp['body']; partial: boolean; length?: number }> {
    const res = await this.send(ref, 'GET', `${ref.repository}/blobs/${digest}`, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal });
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new NotFound(`blob ${digest} not found in ${ref.registry}/${ref.repository}`);
    }
    if (res.statusCode === 416 && offset > 0) {
      await res.body.dump();
      return this.openBlob(ref, digest, 0, signal);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) throw new Unavailable(`registry ${ref.registry}: blob ${digest}: HTTP ${res.statusCode}: ${await registryError(res)}`);
    const len = header(res.headers, 'content-length');
    return { body: res.body, partial: res.statusCode === 206, length: len ? Number(len) : undefined };
  }

  async blobExists(ref: ImageRef, digest: string): Promise<boolean> {
    const res = await this.send(ref, 'HEAD', `${ref.repository}/blobs/${digest}`, { action: 'pull,push' });
    await res.body.dump();
    return res.statusCode === 200;
  }

  /** Monolithic upload: POST to open a session (which settles auth), then PUT the bytes. */
  async uploadBlob(ref: ImageRef, digest: string, size: number, body: () => Readable | Buffer): Promise<void> {
    const start = await this.send(ref, 'POST', `${ref.repository}/blobs/uploads/`, { action: 'pull,push', headers: { 'content-length': '0' } });
    if (start.statusCode !== 202) throw new Unavailable(`registry ${ref.registry}: starting upload of ${digest}: HTTP ${start.statusCode}: ${await registryError(start)}`);
    await start.body.dump();
    const loc = new URL(registryUrl(ref.registry, header(start.headers, 'location') ?? '', this.base(ref.registry) + '/', 'upload location'));
    loc.searchParams.set('digest', digest);
    const put = await this.send(ref, 'PUT', loc.toString(), { action: 'pull,push', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body });
    if (put.statusCode !== 201) throw new Unavailable(`registry ${ref.registry}: uploading ${digest}: HTTP ${put.statusCode}: ${await registryError(put)}`);
    await put.body.dump();
  }

  async putManifest(ref: ImageRef, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
    const res = await this.send(ref, 'PUT', `${ref.repository}/manifests/${reference}`, { action: 'pull,push', headers: { 'content-type': mediaType }, body: () => bytes });
    if (res.statusCode !== 201) throw new Unavailable(`registry ${ref.registry}: pushing manifest ${reference}: HTTP ${res.statusCode}: ${await registryError(res)}`);
    await res.body.dump();
  }

  /** GET /v2/ with the given credential: used by login to check it before storing it. */
  async checkLogin(registry: string, cred: Credential): Promise<void> {
    const probe = new RegistryClient({ ...this.opts, credentials: async () => cred });
    try {
      const res = await probe.send({ registry, repository: 'llmos-login-check' }, 'GET', '');
      await res.body.dump();
      if (res.statusCode !== 200) throw new Unavailable(`registry ${registry}: GET /v2/: HTTP ${res.statusCode}`);
    } finally {
      await probe.close();
    }
  }
}

/**
 * The token realm from a registry's WWW-Authenticate: untrusted, so it must be an http(s) URL;
 * anything else (a malformed URL, file:, credentials in it) is a clear error, not a TypeError.
 */
export function tokenRealm(registry: string, realm: string): URL {
  let u: URL;
  try {
    u = new URL(realm);
  } catch {
    throw new InvalidArgument(`registry ${registry} sent a malformed token realm URL "${realm.slice(0, 200)}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgument(`registry ${registry} sent a token realm that is not http(s): "${realm.slice(0, 200)}"`);
  if (u.username || u.password) throw new InvalidArgument(`registry ${registry} sent a token realm with credentials in it`);
  return u;
}

/** A Location header resolved against the request URL: http(s) only. */
function registryUrl(registry: string, location: string, base: string, what: string): string {
  let u: URL;
  try {
    u = new URL(location, base);
  } catch {
    throw new InvalidArgument(`registry ${registry} sent a malformed ${what} URL "${location.slice(0, 200)}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgument(`registry ${registry} sent a ${what} URL that is not http(s): "${location.slice(0, 200)}"`);
  // WHATWG URLs accept hosts no resolver could answer ("http://=/"): the registry's mistake, not an outage.
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!isIP(host) && !/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i.test(host)) throw new InvalidArgument(`registry ${registry} sent a ${what} URL with an invalid host: "${location.slice(0, 200)}"`);
  return u.toString();
}

/** Reads a small body whole, refusing more than max bytes (a hostile server may send gigabytes). */
export async function readCappedBody(body: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new InvalidArgument(`${what} is larger than ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const readCapped = async (res: Resp, max: number, what: string): Promise<string> => (await readCappedBody(res.body, max, `the answer of ${what}`)).toString('utf8');

async function registryError(res: Resp): Promise<string> {
  const text = await readCapped(res, 64 << 10, 'the registry').catch(() => '');
  try {
    const j = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (j.errors?.length) return j.errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || `HTTP ${res.statusCode}`;
}
