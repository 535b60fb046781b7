// End to end: what a function's fetch may reach (issue 15, egress). A real daemon, real gateway,
// a real docker-registry on loopback, loopback HTTP servers standing in for services; private
// ranges are refused by the policy before any packet leaves (public addresses are unreachable from
// this machine: that they are allowed is the policy's unit test, runtime/egress.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

let d: TestDaemon;
let gw: string;
let dir: string;
let svc: Server;
let svcPort: number;
let big: Server;
let bigPort: number;
let registry: TestRegistry | undefined;

const listen = async (s: Server): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
};

/** Deploys a function whose handler fetches ?u=URL and answers "STATUS BODY" or "refused: MESSAGE". */
async function deployProbe(name: string, args: string[] = []): Promise<void> {
  const f = path.join(dir, `${name}.js`);
  await writeFile(
    f,
    `export default { async fetch(req) {
      const u = new URL(req.url).searchParams.get('u');
      try { const r = await fetch(u); return new Response(r.status + ' ' + (await r.text()).slice(0, 200)); }
      catch (e) { return new Response('refused: ' + e.message); }
    } };`,
  );
  const r = await d.cli(['fn', 'deploy', name, '--code', f, ...args]);
  assert.equal(r.code, 0, r.stderr);
}

const probe = async (name: string, u: string) => (await fetch(`${gw}/fn/${name}/?u=${encodeURIComponent(u)}`)).text();

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-egress-'));
  svc = createServer((req, res) => {
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: new URL(req.url, 'http://x').searchParams.get('to')! });
      return res.end();
    }
    res.end(`svc ${req.url}`);
  });
  svcPort = await listen(svc);
  // 100 MB in 1 MiB chunks: the fetch that used to abort the whole daemon.
  big = createServer((_req, res) => {
    const chunk = Buffer.alloc(2 ** 20, 120);
    let left = 100;
    const write = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    res.on('error', () => undefined);
    write();
  });
  bigPort = await listen(big);
  if (!registrySkipReason()) registry = await startRegistry();
  d = await startDaemon();
  gw = d.gateway!;
  await deployProbe('probe');
  await deployProbe('allowed', ['--allow-net', `127.0.0.1:${svcPort},127.0.0.1:${bigPort}`]);
});

after(async () => {
  await d?.stop();
  await registry?.stop();
  svc?.close();
  big?.closeAllConnections();
  big?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('egress policy', () => {
  test("a function cannot reach the daemon's API, its gateway or a local registry", async () => {
    for (const u of [`${d.host}/healthz`, `${d.host}/v1/openapi.json`, `${gw}/healthz`, `${gw}/fn/probe/`, ...(registry ? [`${registry.url}/v2/_catalog`] : [])]) {
      assert.match(await probe('probe', u), /^refused: fetch: 127\.0\.0\.1 is a private, loopback or reserved address: deploy the function with --allow-net 127\.0\.0\.1:\d+/, u);
    }
    // A name is resolved and its addresses checked: localhost is loopback too.
    assert.match(await probe('probe', `http://localhost:${new URL(d.host).port}/healthz`), /^refused: fetch: localhost \(127\.0\.0\.1\) is a private, loopback or reserved address/);
    assert.match(await probe('probe', `http://[::1]:${new URL(d.host).port}/healthz`), /^refused: .*private, loopback or reserved/);
  });

  test('private, link-local, CGNAT and metadata addresses are refused', async () => {
    for (const u of ['http://10.0.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/', 'http://172.16.0.1/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/']) {
      assert.match(await probe('probe', u), /^refused: fetch: .* is a private, loopback or reserved address/, u);
    }
  });

  test('with --allow-net the listed host:port is reachable, and only that one', async () => {
    assert.equal(await probe('allowed', `http://127.0.0.1:${svcPort}/hello`), '200 svc /hello');
    assert.match(await probe('allowed', `${d.host}/healthz`), /^refused: .*private, loopback or reserved/);
    assert.equal(await probe('probe', `http://127.0.0.1:${svcPort}/hello`).then((t) => t.startsWith('refused:')), true, 'another function is not allowed');
  });

  test('each redirect hop is checked: a listed service cannot bounce a fetch to the API', async () => {
    const to = `${d.host}/healthz`;
    assert.match(await probe('allowed', `http://127.0.0.1:${svcPort}/redirect?to=${encodeURIComponent(to)}`), /^refused: fetch: 127\.0\.0\.1 is a private, loopback or reserved address: deploy the function with --allow-net 127\.0\.0\.1:\d+/);
    assert.equal(await probe('allowed', `http://127.0.0.1:${svcPort}/redirect?to=${encodeURIComponent('/landed')}`), '200 svc /landed', 'a redirect within the listed origin is followed');
  });

  test('the 100 MB fetch fails only that invocation; the daemon and other functions go on', async () => {
    const text = await probe('allowed', `http://127.0.0.1:${bigPort}/`);
    assert.match(text, /^refused: fetch: response body is over the limit of 16777216 bytes/);
    assert.equal(d.proc.exitCode, null, 'the daemon is alive');
    assert.equal((await fetch(`${d.host}/healthz`)).status, 200);
    assert.equal(await probe('allowed', `http://127.0.0.1:${svcPort}/after`), '200 svc /after');
  });

  test('--allow-net entries are validated at deploy', async () => {
    const f = path.join(dir, 'x.js');
    await writeFile(f, 'export default { fetch() { return new Response("x"); } };');
    const r = await d.cli(['fn', 'deploy', 'badnet', '--code', f, '--allow-net', 'localhost']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^llmos: allow-net entry "localhost" must be HOST:PORT/);
  });
});
