import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo, ContainersApi } from '../../contracts/containers.js';
import type { NodeClient } from '../../contracts/cluster.js';
import { NotFound } from '../../kernel/errors.js';
import { ClusterContainersView } from './containers-view.js';

const info = (id: string, name: string, owner?: string) => ({ id, name, image: 'x', state: 'running', ...(owner ? { owner } : {}) }) as unknown as ContainerInfo;
// Small inline fakes: this machine has "here"; node h1 has "there" (a replica the server placed).
const local = {
  list: async () => [info('a1', 'here')],
  inspect: async (ref: string) => {
    if (ref === 'here') return info('a1', 'here');
    throw new NotFound(`no such container ${ref}`);
  },
  remove: async (ref: string) => {
    throw new NotFound(`no such container ${ref}`);
  },
  exec: async () => ({ exitCode: 0, stdout: 'local', stderr: '' }),
} as unknown as ContainersApi;
const calls: string[] = [];
const h1: NodeClient = {
  name: 'h1',
  async json<T>(method: string, path: string): Promise<T> {
    calls.push(`${method} ${path}`);
    if (path.startsWith('/v1/containers?') || path === '/v1/containers') return { containers: [info('b1', 'there', 'cluster/service/web')] } as T;
    if (path === '/v1/containers/there') return info('b1', 'there', 'cluster/service/web') as T;
    if (method === 'DELETE' && path === '/v1/containers/there?force=true') return undefined as T;
    throw new NotFound(`no such container on h1: ${path}`);
  },
  request: () => Promise.reject(new Error('unused')),
  upgrade: () => Promise.reject(new Error('unused')),
  dial: () => Promise.reject(new Error('unused')),
};

test('the view lists every node, maps placed owners back, and sends one-container operations to the node that has it', async () => {
  const view = new ClusterContainersView({ nodeClient: () => h1, connectedNodes: () => ['h1'] }).over(local);
  assert.deepEqual((await view.list({ all: true })).map((c) => `${c.name}:${c.owner ?? ''}`), ['here:', 'there:service/web']);
  assert.equal((await view.inspect('here')).id, 'a1');
  assert.equal((await view.inspect('there')).owner, 'service/web');
  calls.length = 0;
  await view.remove('there', { force: true });
  // Where it was last seen first: one lookup, then the operation.
  assert.deepEqual(calls, ['GET /v1/containers/there', 'DELETE /v1/containers/there?force=true']);
  await assert.rejects(view.inspect('nowhere'), (e: unknown) => e instanceof NotFound && /no such container nowhere/.test((e as Error).message));
  // Not extended: stays local.
  assert.equal((await view.exec('there', ['true'])).stdout, 'local');
});

test('no connected node: the local API as it is', async () => {
  const view = new ClusterContainersView({ nodeClient: () => h1, connectedNodes: () => [] }).over(local);
  assert.deepEqual((await view.list()).map((c) => c.name), ['here']);
  await assert.rejects(view.inspect('there'), NotFound);
});
