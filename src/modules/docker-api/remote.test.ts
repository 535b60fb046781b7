// Where the Docker socket's create, start and exec go on a server: small inline fakes of the
// cluster contract and of the local containers (the real path is test/cluster/remote-docker.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterApi, NodeClient } from '../../contracts/cluster.js';
import type { ContainerInfo, ContainerSpec } from '../../contracts/containers.js';
import { FailedPrecondition, NotFound } from '../../kernel/errors.js';
import type { ContainersExtra } from './deps.js';
import { clusterContainers } from './remote.js';

function fakes(nodes: string[], here: string[] = []) {
  const calls: string[] = [];
  const placed: unknown[] = [];
  const info = (id: string) => ({ id, name: id }) as unknown as ContainerInfo;
  const local = {
    inspect: async (ref: string) => {
      if (!here.includes(ref)) throw new NotFound(`no such container ${ref}`);
      return info(ref);
    },
    create: async (spec: ContainerSpec) => (calls.push(`local create ${spec.name}`), info(spec.name!)),
    start: async (ref: string) => {
      if (!here.includes(ref)) throw new NotFound(`no such container ${ref}`);
      return (calls.push(`local start ${ref}`), info(ref));
    },
    exec: async (ref: string) => (calls.push(`local exec ${ref}`), { exitCode: 0, stdout: '', stderr: '' }),
  } as unknown as ContainersExtra;
  const client = (name: string): NodeClient => ({
    name,
    json: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      if (method === 'GET') {
        // Node h2 holds "far"; nobody else has anything.
        if (name === 'h2' && path === '/v1/containers/far') return info('far') as T;
        throw new NotFound('no such container');
      }
      calls.push(`${name} ${method} ${path}${body ? ` ${JSON.stringify(body)}` : ''}`);
      return (path === '/v1/containers' ? info((body as ContainerSpec).name!) : { exitCode: 0, stdout: 'x', stderr: '' }) as T;
    },
    request: async () => { throw new Error('unused'); },
    upgrade: async () => { throw new Error('unused'); },
    dial: async () => { throw new Error('unused'); },
  });
  const cluster = {
    connectedNodes: () => nodes,
    nodeClient: client,
    placeContainer: async (req: unknown) => (placed.push(req), nodes.length ? 'h1' : undefined),
  } as unknown as ClusterApi;
  return { c: clusterContainers(local, local, cluster), calls, placed };
}

test('create: no node joined stays here; placed by the scheduler; a llmos.io/node label narrows the placement to that node', async () => {
  const alone = fakes([]);
  await alone.c.create({ name: 'a', image: 'busybox' } as ContainerSpec);
  assert.deepEqual(alone.calls, ['local create a']);
  await assert.rejects(alone.c.create({ name: 'b', image: 'busybox', labels: { 'llmos.io/node': 'h2' } } as ContainerSpec), (e: Error) => e instanceof FailedPrecondition && /no node has joined/.test(e.message));

  const two = fakes(['h1', 'h2']);
  await two.c.create({ name: 'p', image: 'busybox' } as ContainerSpec);
  await two.c.create({ name: 'q', image: 'busybox', labels: { 'llmos.io/node': 'h2' } } as ContainerSpec);
  assert.deepEqual(two.placed.map((r) => (r as { nodeSelector?: unknown }).nodeSelector), [undefined, { 'llmos.io/hostname': 'h2' }]);
  assert.equal(two.calls.length, 2);
  assert.match(two.calls[0]!, /^h1 POST \/v1\/containers \{"name":"p"/);
});

test('start and exec: here when this machine has the container, else on the node that has it', async () => {
  const f = fakes(['h1', 'h2'], ['near']);
  await f.c.start('near');
  await f.c.exec('near', ['true']);
  await f.c.start('far');
  await f.c.exec('far', ['sh', '-c', 'echo'], { env: { A: '1' } });
  assert.deepEqual(f.calls, ['local start near', 'local exec near', 'h2 POST /v1/containers/far/start', 'h2 POST /v1/containers/far/exec {"cmd":["sh","-c","echo"],"env":{"A":"1"}}']);
  // Nowhere: the local answer (NotFound), as before.
  await assert.rejects(fakes(['h1']).c.start('ghost'), (e: Error) => e instanceof NotFound && /ghost/.test(e.message));
});
