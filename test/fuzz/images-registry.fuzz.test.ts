// Fuzzing pulls from an untrusted registry (a loopback server that answers what each case says):
// WWW-Authenticate challenges and token answers, redirects, manifests, indexes and image configs,
// arbitrary or near-valid. Properties: the pull works or is refused as a client error (4xx: bad
// data is InvalidArgument, missing things NotFound, auth Unauthenticated), never a 500; what is
// pulled has well-typed run settings. Only loopback is ever contacted: generated realms and
// redirects either point at this server or are not http(s) URLs at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { MT } from '../../src/modules/images/media-types.js';
import { makeTar } from '../../src/modules/images/tar-fixture.test-util.js';
import { imagesService, type TestImages } from '../images/archive-fixture.js';
import { hostileRegistry, type Answer, type HostileRegistry } from '../images/hostile-registry.js';
import { assertClientError, budget, fuzz } from './images-fuzz-support.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let tmp: string;
let s: TestImages;
let reg: HostileRegistry;

interface Case {
  challenge?: string;
  token: string;
  redirect?: string;
  manifest: string;
  manifestType: string;
  config: string;
}
let current: Case | undefined;
const layer = makeTar([{ path: 'hello', body: 'hi' }]);

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-fuzz-registry-'));
  s = await imagesService(tmp);
  reg = await hostileRegistry((_m, u) => answer(u));
});

after(async () => {
  await s.close();
  await reg.close();
  await rm(tmp, { recursive: true, force: true });
});

let authed = false;
function answer(u: URL): Answer | undefined {
  const c = current;
  if (!c) return undefined;
  if (u.pathname.startsWith('/token')) {
    authed = true;
    return { headers: { 'content-type': 'application/json' }, body: c.token };
  }
  if (c.challenge && !authed) return { status: 401, headers: { 'www-authenticate': c.challenge } };
  if (u.pathname === '/v2/fz/manifests/1') {
    if (c.redirect !== undefined) return { status: 307, headers: { location: c.redirect } };
    return { headers: { 'content-type': c.manifestType }, body: c.manifest };
  }
  if (u.pathname.startsWith('/v2/fz/moved')) return { headers: { 'content-type': c.manifestType }, body: c.manifest };
  const b = /^\/v2\/fz\/blobs\/(sha256:[a-f0-9]{64})$/.exec(u.pathname);
  if (b && b[1] === sha(c.config)) return { body: c.config };
  if (b && b[1] === sha(layer)) return { body: layer };
  return undefined;
}

const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 20, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: fc.constant(undefined) });
const str = fc.string({ maxLength: 16 });
/** Not an http(s) URL even after WHATWG trimming of spaces and controls. */
const notHttp = fc.string({ maxLength: 30 }).filter((x) => !/^https?:/i.test(x.replace(/[\s\p{Cc}]/gu, '')));
/** A suffix that cannot move a URL off our host. */
const tail = fc.string({ maxLength: 12 }).map((x) => x.replace(/^[/\\]+/, ''));

function caseArb(host: string): fc.Arbitrary<Case> {
  const realm = fc.oneof(
    { weight: 3, arbitrary: tail.map((t) => `http://${host}/token${t}`) },
    { weight: 2, arbitrary: notHttp },
    { weight: 1, arbitrary: fc.constantFrom('file:///etc/passwd', `http://u:p@${host}/token`, 'javascript:alert(1)', '::', '', 'http://[::1', 'gopher://x/') },
  );
  const challenge = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.tuple(realm, maybe(str), maybe(str)).map(([r, sv, sc]) => `Bearer realm="${String(r).replace(/"/g, '\\"')}"${sv !== undefined ? `,service="${String(sv)}"` : ''}${sc !== undefined ? `,scope=${String(sc)}` : ''}`) },
    { weight: 1, arbitrary: fc.oneof(str, fc.constantFrom('Basic realm="x"', 'Bearer', 'Negotiate', 'Bearer realm=', 'bearer REALM="http://x"'.replace('http://x', `http://${host}/token`))) },
  );
  const token = fc.oneof({ weight: 4, arbitrary: fc.constant('{"token":"abc"}') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: fc.record({ token: maybe(str), access_token: maybe(str) }).map((v) => JSON.stringify(v)) });
  const configArb = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 6,
      arbitrary: fc.record({
        architecture: maybe(fc.constant('amd64')),
        os: maybe(fc.constant('linux')),
        config: maybe(fc.record({ Env: maybe(fc.array(str, { maxLength: 2 })), Cmd: maybe(fc.array(str, { maxLength: 2 })), User: maybe(str), ExposedPorts: maybe(fc.dictionary(str, fc.constant({}), { maxKeys: 2 })), Labels: maybe(fc.dictionary(str, str, { maxKeys: 2 })) }, { requiredKeys: [] })),
        rootfs: maybe(fc.record({ type: fc.constant('layers'), diff_ids: maybe(fc.constantFrom([], [sha(layer)])) })),
      }, { requiredKeys: [] }),
    },
  ).map((v) => JSON.stringify(v) ?? 'null');
  return fc
    .record({
      challenge,
      token,
      redirect: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(tail.map((t) => `/v2/fz/moved${t}`), notHttp, fc.constantFrom('http://[::1', 'file:///etc/passwd')) }),
      config: configArb,
      shape: fc.record({
        schemaVersion: maybe(fc.constant(2)),
        mediaType: maybe(fc.constantFrom(MT.ociManifest, MT.dockerManifest, MT.ociIndex, 'text/html')),
        configDesc: maybe(fc.record({ mediaType: maybe(fc.constant(MT.ociConfig)), size: maybe(fc.oneof(fc.constant(-1), fc.integer(), fc.constant(2 ** 60))), digest: maybe(fc.constantFrom('good', 'sha256:' + 'f'.repeat(64), 'sha256:xyz')) }, { requiredKeys: [] })),
        layers: maybe(fc.array(fc.record({ mediaType: maybe(fc.constant(MT.ociLayer)), digest: maybe(fc.constant(sha(layer))), size: maybe(fc.constant(layer.length)) }, { requiredKeys: [] }), { maxLength: 2 })),
        manifests: maybe(fc.array(fc.record({ digest: maybe(str), platform: maybe(fc.record({ os: maybe(fc.constant('linux')), architecture: maybe(fc.constant('amd64')) })) }, { requiredKeys: [] }), { maxLength: 2 })),
      }, { requiredKeys: [] }),
      raw: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(str, fc.jsonValue().map((v) => JSON.stringify(v) ?? '')) }),
      manifestType: fc.constantFrom(MT.ociManifest, MT.dockerManifest, MT.ociIndex, 'application/json', 'text/html', ''),
    })
    .map(({ shape, raw, config, ...rest }) => {
      const cd = shape.configDesc as Record<string, unknown> | undefined;
      const configDesc = cd && typeof cd === 'object' ? { mediaType: MT.ociConfig, size: Buffer.byteLength(config), ...cd, ...(cd.digest === 'good' || cd.digest === undefined ? { digest: sha(config) } : {}) } : cd;
      const m = { ...shape, config: configDesc };
      delete (m as { configDesc?: unknown }).configDesc;
      return { ...rest, config, manifest: raw ?? JSON.stringify(m) };
    });
}

test('fuzz: hostile registry answers (auth, redirects, manifests, indexes, configs) never give a 500', async () => {
  let pulled = 0;
  const outcomes = new Map<string, number>();
  const runs = await fuzz(
    'registry',
    caseArb(reg.host),
    async (c) => {
      current = c;
      authed = false;
      // A fresh client each case: the auth cache of one case must not answer the next.
      const { RegistryClient } = await import('../../src/modules/images/registry-client.js');
      const client = new RegistryClient({ insecure: [], credentials: async () => undefined });
      Object.assign(s.svc, { client });
      try {
        const img = await s.svc.pull(`${reg.host}/fz:1`).catch((e: unknown) => {
          assertClientError(e, 'pull');
          const k = (e as Error).name;
          outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
          return undefined;
        });
        if (img) {
          pulled++;
          for (const k of ['env', 'cmd', 'entrypoint'] as const) assert.ok(img.config[k] === undefined || (Array.isArray(img.config[k]) && img.config[k]!.every((x) => typeof x === 'string')));
          await s.svc.remove(img.id, { force: true });
        }
      } finally {
        await client.close();
      }
    },
    budget(300, 0.25),
  );
  console.log(`# fuzz registry: ${runs} cases, ${pulled} pulled; refusals: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
});
