// Where the Docker socket's create, start and exec go on a server: small inline fakes of the
// cluster contract and of the local containers (the real path is test/cluster/remote-docker.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterApi, NodeClient } from '../../contracts/cluster.js';
import type { ContainerInfo, ContainerSpec } from '../../contracts/containers.js';
import { FailedPrecondition, NotFound } from '../../kernel/errors.js';
import type { ContainersExtra } from './deps.js';
import { clusterContainers } from './remote.js';
import { RemoteContainers } from '../../kernel/remote-containers.js';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

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
    pause: async (ref: string) => (calls.push(`local pause ${ref}`), info(ref)),
    unpause: async (ref: string) => (calls.push(`local unpause ${ref}`), info(ref)),
    rename: async (ref: string, name: string) => (calls.push(`local rename ${ref} ${name}`), info(name)),
    update: async (ref: string) => (calls.push(`local update ${ref}`), info(ref)),
    statPath: async (ref: string, p: string) => (calls.push(`local stat ${ref} ${p}`), { name: p, size: 1, mode: 0o644, mtime: '', linkTarget: '' }),
    getArchive: async (ref: string, p: string) => (calls.push(`local get ${ref} ${p}`), { stat: { name: p, size: 1, mode: 0o644, mtime: '', linkTarget: '' }, tar: [] }),
    putArchive: async (ref: string, p: string) => void calls.push(`local put ${ref} ${p}`),
  } as unknown as ContainersExtra;
  const client = (name: string): NodeClient => ({
    name,
    json: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      if (method === 'GET') {
        // Node h2 holds "far"; nobody else has anything.
        if (name === 'h2' && path === '/v1/containers/far') return info('far') as T;
        if (name === 'h2' && path === '/v1/containers/far/top') return { titles: ['PID', 'CMD'], processes: [['1', 'sleep 300']] } as T;
        throw new NotFound('no such container');
      }
      calls.push(`${name} ${method} ${path}${body ? ` ${JSON.stringify(body)}` : ''}`);
      return (path === '/v1/containers' ? info((body as ContainerSpec).name!) : { exitCode: 0, stdout: 'x', stderr: '' }) as T;
    },
    // The archive routes: a tar (its stat in a header) or, for a path named "missing", the node's 404.
    request: async (req) => {
      const body = req.body === undefined ? '' : typeof req.body === 'string' || Buffer.isBuffer(req.body) ? String(req.body) : await text(req.body as AsyncIterable<Uint8Array>);
      calls.push(`${name} ${req.method} ${req.path}${body ? ` <${body}>` : ''}`);
      const missing = req.path.includes('missing');
      const stat = Buffer.from(JSON.stringify({ name: 'f', size: 3, mode: 0o644, mtime: '', linkTarget: '' })).toString('base64');
      return { status: missing ? 404 : 200, headers: missing ? {} : { 'x-llmos-path-stat': stat }, body: Readable.from([Buffer.from(missing ? '{"error":"no such path /missing","code":"E_NOT_FOUND"}' : 'TAR')]) };
    },
    upgrade: async () => { throw new Error('unused'); },
    dial: async () => { throw new Error('unused'); },
  });
  const cluster = {
    connectedNodes: () => nodes,
    nodeClient: client,
    placeContainer: async (req: unknown) => (placed.push(req), nodes.length ? 'h1' : undefined),
  } as unknown as ClusterApi;
  return { c: clusterContainers(local, local, cluster, new RemoteContainers()), calls, placed };
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

test('pause, unpause, rename, update, top and cp: here when this machine has the container, else the node\'s routes', async () => {
  const f = fakes(['h1', 'h2'], ['near']);
  await f.c.pause!('near');
  await f.c.pause!('far');
  await f.c.unpause!('far');
  await f.c.rename!('far', 'a b');
  await f.c.update!('far', { memory: 2 ** 26 });
  assert.equal(await f.c.nodeTop!('near'), undefined);
  assert.deepEqual(await f.c.nodeTop!('far'), { titles: ['PID', 'CMD'], processes: [['1', 'sleep 300']] });
  assert.deepEqual(f.calls, ['local pause near', 'h2 POST /v1/containers/far/pause', 'h2 POST /v1/containers/far/unpause', 'h2 POST /v1/containers/far/rename?name=a%20b', `h2 POST /v1/containers/far/update {"memory":${2 ** 26}}`]);

  f.calls.length = 0;
  const got = await f.c.getArchive!('far', '/etc/f');
  assert.equal(got.stat.size, 3);
  assert.equal(await text(got.tar), 'TAR');
  await f.c.putArchive!('far', '/tmp', Readable.from([Buffer.from('IN')]), { copyUidGid: true, noOverwriteDirNonDir: true });
  await f.c.getArchive!('near', '/x');
  assert.deepEqual(f.calls, ['h2 GET /v1/containers/far/archive?path=%2Fetc%2Ff', 'h2 PUT /v1/containers/far/archive?path=%2Ftmp&copyUidGid=true&noOverwriteDirNonDir=true <IN>', 'local get near /x']);
  // The node's error is the error it was (NotFound: Docker's 404 for cp), with the node named.
  await assert.rejects(f.c.getArchive!('far', '/missing'), (e: Error) => e instanceof NotFound && e.message === 'node h2: no such path /missing');
});
