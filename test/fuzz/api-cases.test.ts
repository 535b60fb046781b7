// Targeted bad input on a real daemon (issue 13 finding 9): each case got a 500, an unrelated
// 503, or was accepted before its fix (shown per case); now each is a 400 that says why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { aliasBomb } from './hostile.js';

const svc = (spec: string) => `apiVersion: llmos.io/v1\nkind: Service\nmetadata: {name: web}\nspec: {image: "127.0.0.1:1/x:1", ${spec}}\n`;
const code = { files: { 'index.js': 'export default { fetch() { return new Response("ok") } }' } };
/** The image points at a closed loopback port: a request that got past validation would answer 503 (registry down). */
const image = '127.0.0.1:1/x:1';

const cases: Array<{ what: string; before: string; method: string; path: string; body: unknown; error: RegExp }> = [
  { what: 'a YAML alias bomb in apply', before: '500 ReferenceError', method: 'POST', path: '/v1/apply', body: { manifest: aliasBomb, dryRun: true }, error: /manifest: too many YAML aliases/ },
  { what: '20 nines of CPU in a manifest', before: '200, stored', method: 'POST', path: '/v1/apply', body: { manifest: svc('resources: {limits: {cpu: "99999999999999999999"}}'), dryRun: true }, error: /spec\.resources\.limits\.cpu: cpu quantity .* too large/ },
  { what: 'progressDeadlineSeconds 1e300', before: '200, stored', method: 'POST', path: '/v1/apply', body: { manifest: svc('progressDeadlineSeconds: 1e300'), dryRun: true }, error: /spec\.progressDeadlineSeconds: must be at most/ },
  { what: 'a probe timeout past the 32-bit timer range', before: '201, created', method: 'POST', path: '/v1/services', body: { apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image, readinessProbe: { exec: { command: ['true'] }, timeoutSeconds: 4294967296 } } }, error: /spec\.readinessProbe\.timeoutSeconds: must be at most 3600/ },
  { what: 'documents nested 100,000 deep', before: '400 naming other fields, after walking all of it', method: 'POST', path: '/v1/apply', body: `{"dryRun":true,"documents":[${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]}`, error: /nested more than 64 levels deep/ },
  { what: 'a negative queueWait', before: '201, deployed', method: 'POST', path: '/v1/functions', body: { name: 'qw', queueWait: -1, code }, error: /queue wait must be from 0s/ },
  { what: 'a queueWait past any timer', before: '201, deployed', method: 'POST', path: '/v1/functions', body: { name: 'qw', queueWait: '99999999999d', code }, error: /queue wait "99999999999d" is too large/ },
  { what: 'a function memory of 1e308 bytes', before: 'already 400 (guard)', method: 'POST', path: '/v1/functions', body: { name: 'qw', memory: 1e308, code }, error: /memory/ },
  { what: '1e308 CPUs for a container', before: '503 (validated only after the image pull)', method: 'POST', path: '/v1/containers', body: { image, cpus: 1e308 }, error: /cpus/ },
  { what: '2^60 bytes of memory for a container', before: 'already 400: zod int() wants a safe integer (guard)', method: 'POST', path: '/v1/containers', body: { image, memory: 2 ** 60 }, error: /memory/ },
  { what: 'a pids limit past pid_max', before: '503 (validated only after the image pull)', method: 'POST', path: '/v1/containers/run', body: { image, pidsLimit: 2 ** 40 }, error: /pids limit/ },
  { what: '20 nines of CPU in a quota', before: '200, stored', method: 'PUT', path: '/v1/namespaces/default/quota', body: { cpu: '99999999999999999999' }, error: /cpu quantity .* too large/ },
  { what: '1e308 millicores in a quota', before: '200, stored', method: 'PUT', path: '/v1/namespaces/default/quota', body: { cpu: 1e308 }, error: /cpu/ },
];

describe('targeted bad input: 400 with the reason', { concurrency: false }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.api('DELETE', '/v1/functions/qw').catch(() => undefined);
    await d?.api('DELETE', '/v1/services/web').catch(() => undefined);
    await d?.stop();
  });
  for (const c of cases)
    test(`${c.what} (before: ${c.before})`, async () => {
      const r = await d.api<{ error?: string }>(c.method, c.path, c.body);
      assert.equal(r.status, 400, `${c.method} ${c.path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.match(r.body.error ?? '', c.error);
      assert.ok((r.body.error ?? '').length < 6000, 'one readable message');
      assert.equal((await fetch(`${d.host}/healthz`)).status, 200);
    });
});
