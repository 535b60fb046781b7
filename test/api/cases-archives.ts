// Route cases: archives. `llmos save` on the real images module (an imported image saved as a
// docker-archive and loaded back); the container copy routes over the in-memory fake, which has
// no copy (503 naming it; the real runtime's copies are in test/docker/cp.test.ts).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { makeTar, tarNames } from '../docker/tar-util.js';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const raw = { 'content-type': 'application/x-tar' };

export async function archiveCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('images: save a docker-archive (manifest.json, repositories, layer tars) that loads back; a missing image is a 404', async () => {
    const i = await req('POST', '/v1/images/import?ref=local/saved:1', makeTar([{ name: 'hello.txt', body: 'hi' }]), raw);
    assert.equal(i.statusCode, 200, i.body);
    const s = await req('GET', '/v1/images/save?ref=local/saved:1');
    assert.equal(s.statusCode, 200, s.body);
    assert.match(String(s.headers['content-type']), /application\/x-tar/);
    const names = tarNames(s.rawPayload);
    for (const n of ['manifest.json', 'repositories']) assert.ok(names.includes(n), names.join(' '));
    assert.equal(names.filter((n) => /^[0-9a-f]{64}\/layer\.tar$/.test(n)).length, 1, names.join(' '));
    assert.equal((await req('DELETE', '/v1/images?ref=local/saved:1')).statusCode, 200);
    const l = await req('POST', '/v1/images/load', s.rawPayload, raw);
    assert.equal(l.statusCode, 200, l.body);
    assert.deepEqual((l.json() as J).images.map((x: J) => x.repoTags), [['docker.io/local/saved:1']]);
    assert.equal((await req('GET', '/v1/images/save?ref=local/none:1')).statusCode, 404);
    await req('DELETE', '/v1/images?ref=local/saved:1');
  });
  await t.test('containers: cp needs a runtime that offers copies (503 naming it)', async () => {
    await req('POST', '/v1/containers', { image: 'busybox', name: 'arc' });
    for (const [method, url, body] of [['GET', '/v1/containers/arc/archive/stat?path=/etc'], ['GET', '/v1/containers/arc/archive?path=/etc'], ['PUT', '/v1/containers/arc/archive?path=/tmp', makeTar([{ name: 'a', body: 'x' }])]] as const) {
      const r = await req(method, url, body, body ? raw : {});
      assert.equal(r.statusCode, 503, `${method} ${url}: ${r.body}`);
      assert.match((r.json() as J).error, /no copy \(cp\)/);
    }
    await req('DELETE', '/v1/containers/arc?force=1');
  });
}
