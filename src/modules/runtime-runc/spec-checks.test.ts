import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec } from '../../contracts/containers.js';
import { checkResources, validateSpec } from './spec-checks.js';

const host = { cpus: 2, memory: 8 * 2 ** 30 };

test('resource values must be finite, in range and within the host', () => {
  const bad: Array<[Partial<ContainerSpec>, RegExp]> = [
    [{ cpus: 1e308 }, /more than the 2 CPUs/],
    [{ cpus: -1 }, /at least 0.01/],
    [{ cpus: Number.NaN }, /at least 0.01/],
    [{ cpus: Number.POSITIVE_INFINITY }, /at least 0.01/],
    [{ memory: -5 }, /at least 6 MiB/],
    [{ memory: 10 * 2 ** 20 + 0.5 }, /whole number/],
    [{ memory: 9 * 2 ** 30 }, /more than the 8.0 GiB/],
    [{ pidsLimit: 0 }, /pids limit/],
    [{ pidsLimit: 2 ** 40 }, /pids limit/],
    [{ requests: { cpu: -0.5 } }, /requests.cpu/],
    [{ requests: { cpu: 3 } }, /more than the 2 CPUs/],
    [{ memory: 64 * 2 ** 20, requests: { memory: 128 * 2 ** 20 } }, /more than the memory limit/],
    [{ priority: Number.NaN }, /priority/],
    [{ priority: 2e9 }, /priority/],
    [{ restart: { name: 'on-failure', maxRetries: 1e12 } }, /retries/],
  ];
  for (const [spec, re] of bad) assert.throws(() => checkResources({ image: 'x', ...spec }, host), re, JSON.stringify(spec));
  // The edges that are fine: the whole host, the smallest limits, requests equal to limits.
  for (const spec of [{ cpus: 2 }, { cpus: 0.01 }, { memory: 6 * 2 ** 20 }, { memory: 8 * 2 ** 30 }, { cpus: 1, requests: { cpu: 1, memory: 0 } }, { pidsLimit: 1 }, { priority: -1000 }])
    assert.doesNotThrow(() => checkResources({ image: 'x', ...spec }, host), JSON.stringify(spec));
});

test('names, ports and paths are checked against the other containers', () => {
  const others: ContainerSpec[] = [{ image: 'x', name: 'web', ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }];
  assert.throws(() => validateSpec({ image: 'x', name: 'web' }, others, host), /already in use/);
  assert.throws(() => validateSpec({ image: 'x', ports: [{ hostPort: 8080, containerPort: 1, protocol: 'tcp' }] }, others, host), /already published by container web/);
  assert.throws(() => validateSpec({ image: 'x', workingDir: 'rel' }, others, host), /must be absolute/);
  assert.throws(() => validateSpec({ image: 'x', ports: [{ hostPort: 1, containerPort: 1, protocol: 'tcp', hostIp: '999.1.1.1' }] }, others, host), /not an IP address/);
  assert.doesNotThrow(() => validateSpec({ image: 'x', name: 'api', ports: [{ hostPort: 8081, containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }] }, others, host));
});
