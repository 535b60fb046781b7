import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo } from '../../contracts/containers.js';
import { filterContainers, formatContainers } from './ps-format.js';

const c = (name: string, o: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: name.padEnd(64, '0'), name, image: 'busybox:1', imageId: 'sha256:abc', namespace: 'default', state: 'running', status: 'Up 1 second', oomKilled: false,
  ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], createdAt: '2026-01-01T00:00:00Z', restartCount: 0, labels: { app: 'web' }, spec: { image: 'busybox:1', cmd: ['sleep', '1'] }, ...o,
});

test('ps --filter: keys AND, repeated keys OR; unknown keys refused', () => {
  const cs = [c('web1'), c('web2', { labels: {} }), c('db', { state: 'exited', paused: undefined })];
  assert.deepEqual(filterContainers(cs, ['name=web', 'label=app=web']).map((x) => x.name), ['web1']);
  assert.deepEqual(filterContainers(cs, ['status=exited', 'status=running']).map((x) => x.name), ['web1', 'web2', 'db']);
  assert.deepEqual(filterContainers(cs, ['ancestor=busybox']).length, 3);
  assert.throws(() => filterContainers(cs, ['volume=x']), /--filter volume is not supported/);
});

test('ps --format: fields, json, table; unsupported template syntax refused', () => {
  const cs = [c('web1')];
  assert.equal(formatContainers(cs, '{{.Names}} {{.Ports}}'), 'web1 0.0.0.0:8080->80/tcp');
  assert.equal(JSON.parse(formatContainers(cs, '{{json .}}')).Names, 'web1');
  assert.equal(formatContainers(cs, '{{json .Names}}'), '"web1"');
  assert.equal(formatContainers(cs, 'table {{.ID}}\\t{{.Names}}'), `CONTAINER ID   NAMES\n${'web1'.padEnd(12, '0')}   web1`);
  assert.throws(() => formatContainers(cs, '{{range .}}x{{end}}'), /only \{\{\.Field\}\}/);
});
