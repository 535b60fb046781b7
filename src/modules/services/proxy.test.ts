// The proxy in-process against small loopback HTTP and TCP servers standing in for replicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { ServiceProxy } from './proxy.js';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

test('HTTP: spreads requests over ready backends, 503 with none, skips a backend that refuses', async () => {
  const servers = ['a', 'b', 'c'].map((name) => http.createServer((_req, res) => res.end(name)));
  const ports = await Promise.all(servers.map(listen));
  const proxy = new ServiceProxy(await freePort(), 'http', ['127.0.0.1']);
  await proxy.listen();
  const get = async () => {
    const r = await fetch(`http://127.0.0.1:${proxy.hostPort}/`);
    return { status: r.status, body: await r.text() };
  };
  try {
    assert.equal((await get()).status, 503);
    proxy.setBackends(ports.map((port, i) => ({ id: `r${i}`, name: `r${i}`, host: '127.0.0.1', port })));
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const { body } = await get();
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    // Sequential requests leave every backend idle, so ties rotate: 10 each.
    assert.deepEqual([...seen.entries()].sort(), [['a', 10], ['b', 10], ['c', 10]]);
    // A backend that is gone (connection refused) is skipped for a GET.
    const dead = await freePort();
    proxy.setBackends([{ id: 'x', name: 'x', host: '127.0.0.1', port: dead }, { id: 'r0', name: 'r0', host: '127.0.0.1', port: ports[0]! }]);
    for (let i = 0; i < 4; i++) assert.deepEqual(await get(), { status: 200, body: 'a' });
    assert.ok(proxy.meter.total >= 34);
  } finally {
    await proxy.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }
});

test('HTTP: least outstanding requests sends new work away from a busy backend', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = http.createServer(async (_req, res) => {
    await held;
    res.end('slow');
  });
  const fast = http.createServer((_req, res) => res.end('fast'));
  const [ps, pf] = await Promise.all([listen(slow), listen(fast)]);
  const proxy = new ServiceProxy(await freePort(), 'http', ['127.0.0.1']);
  await proxy.listen();
  proxy.setBackends([{ id: 's', name: 's', host: '127.0.0.1', port: ps }, { id: 'f', name: 'f', host: '127.0.0.1', port: pf }]);
  try {
    const pending = fetch(`http://127.0.0.1:${proxy.hostPort}/`).then((r) => r.text()); // goes to s (first)
    await new Promise((r) => setTimeout(r, 50));
    const bodies = [];
    for (let i = 0; i < 5; i++) bodies.push(await (await fetch(`http://127.0.0.1:${proxy.hostPort}/`)).text());
    assert.deepEqual(bodies, ['fast', 'fast', 'fast', 'fast', 'fast']);
    release();
    assert.equal(await pending, 'slow');
  } finally {
    release();
    await proxy.close();
    for (const s of [slow, fast]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }
});

test('TCP: round robin over backends', async () => {
  const servers = ['1', '2'].map((name) => net.createServer((s) => s.end(name)));
  const ports = await Promise.all(servers.map(listen));
  const proxy = new ServiceProxy(await freePort(), 'tcp', ['127.0.0.1']);
  await proxy.listen();
  proxy.setBackends(ports.map((port, i) => ({ id: `r${i}`, name: `r${i}`, host: '127.0.0.1', port })));
  const read = () =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      const s = net.connect(proxy.hostPort, '127.0.0.1');
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  try {
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await read());
    assert.deepEqual(got, ['1', '2', '1', '2']);
  } finally {
    await proxy.close();
    for (const s of servers) await new Promise((r) => s.close(r));
  }
});

test('a host port that is taken fails to bind with the reason', async () => {
  const blocker = net.createServer();
  const port = await listen(blocker);
  const proxy = new ServiceProxy(port, 'http', ['127.0.0.1']);
  try {
    await assert.rejects(proxy.listen(), /EADDRINUSE/);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});
