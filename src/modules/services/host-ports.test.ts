import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { HostPorts } from './host-ports.js';
import type { ServiceRecord } from './types.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const rec = (name: string, hostPort: number): ServiceRecord => ({ name, namespace: 'default', labels: {}, spec: { replicas: 1, template: { image: 'x', env: {}, labels: {} }, ports: [{ containerPort: 80, hostPort, protocol: 'tcp' }], progressDeadlineSeconds: 60 }, templateHash: 'h', generation: 1, createdAt: '', updatedAt: '', source: 'cli' });

function rig() {
  const events: Array<{ topic: string; message: string }> = [];
  const ports = new HostPorts({ addresses: ['127.0.0.1'], log: { debug: () => undefined }, publish: (_s, topic, message) => events.push({ topic, message }) });
  return { ports, events };
}

test('a host port opens for a service, reports who holds it, and closes when the service goes', async () => {
  const { ports, events } = rig();
  const port = await freePort();
  try {
    await ports.reconcile([rec('web', port)], []);
    assert.deepEqual(events.map((e) => e.topic), ['port-opened']);
    // It really listens on loopback.
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.destroy();
    assert.deepEqual(ports.endpoints('default/web'), [{ hostPort: port, containerPort: 80, protocol: 'tcp', addresses: ['127.0.0.1'] }]);
    assert.deepEqual(ports.sampleLoad('default/web', Date.now())?.rps !== undefined, true);
    assert.equal(ports.sampleLoad('default/none', Date.now()), undefined);
    // A second service asking for the same port is told who has it.
    await ports.reconcile([rec('web', port), rec('api', port)], []);
    assert.equal(ports.endpoints('default/api')[0]?.error, 'host port is used by service default/web');
    await ports.reconcile([], []);
    assert.deepEqual(events.map((e) => e.topic), ['port-opened', 'port-closed']);
    await assert.rejects(new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1').once('connect', resolve).once('error', reject)), /ECONNREFUSED/);
  } finally {
    await ports.close();
  }
});

test('a port that cannot be bound is reported once per distinct error and retried', async () => {
  const { ports, events } = rig();
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    await ports.reconcile([rec('web', port)], []);
    await ports.reconcile([rec('web', port)], []);
    assert.deepEqual(events.map((e) => e.topic), ['port-failed']);
    assert.match(ports.endpoints('default/web')[0]?.error ?? '', /EADDRINUSE/);
    await new Promise((r) => holder.close(r));
    await ports.reconcile([rec('web', port)], []);
    assert.deepEqual(events.map((e) => e.topic), ['port-failed', 'port-opened']);
    assert.equal(ports.endpoints('default/web')[0]?.error, undefined);
  } finally {
    await ports.close();
  }
});
