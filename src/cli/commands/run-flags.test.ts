import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunSpec, parseEnv, parsePort, parseVolume, splitAtFirstPositional } from './run-flags.js';
import { parseMemory } from '../../kernel/quantity.js';

test('memory sizes use binary units', () => {
  assert.equal(parseMemory('64m'), 64 * 2 ** 20);
  assert.equal(parseMemory('1g'), 2 ** 30);
  assert.equal(parseMemory('512k'), 512 * 1024);
  assert.equal(parseMemory('1000'), 1000);
  assert.throws(() => parseMemory('lots', '--memory'), /--memory quantity "lots" is not like/);
});

test('ports, volumes and env', () => {
  assert.deepEqual(parsePort('8080:80'), { hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(parsePort('127.0.0.1:53:53/udp'), { hostPort: 53, containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' });
  assert.throws(() => parsePort('80'), /invalid port mapping/);
  assert.throws(() => parsePort('0:80'), /ports are 1-65535/);
  assert.deepEqual(parseVolume('/a:/b:ro'), { hostPath: '/a', containerPath: '/b', readOnly: true });
  assert.deepEqual(parseVolume('data:/b', '/w'), { hostPath: '/w/data', containerPath: '/b', readOnly: false });
  assert.throws(() => parseVolume('/a:b'), /must be absolute/);
  assert.deepEqual(parseEnv(['A=1', 'B=x=y', 'HOME_X'], { HOME_X: 'h' }), { A: '1', B: 'x=y', HOME_X: 'h' });
});

test('flags end at the image: the rest is the command, even when it looks like flags', () => {
  const { spec, detach } = buildRunSpec(['-d', '--rm', '-e', 'A=1', '-p', '8080:80', '--memory', '64m', '--restart', 'no', 'busybox', 'sh', '-c', 'echo -e hi', '-d']);
  assert.equal(detach, true);
  assert.deepEqual(spec, { image: 'busybox', cmd: ['sh', '-c', 'echo -e hi', '-d'], env: { A: '1' }, ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], memory: 64 * 2 ** 20, restart: { name: 'no' }, autoRemove: true });
  assert.deepEqual(buildRunSpec(['--env-file', 'f', 'img'], () => '# c\nX=1\n').spec.env, { X: '1' });
  const split = splitAtFirstPositional(['--', 'x', '-y'], {});
  assert.deepEqual({ ...split.values }, {});
  assert.deepEqual([split.positional, split.rest], ['x', ['-y']]);
  assert.throws(() => buildRunSpec(['--bogus', 'img']), /bogus/);
  assert.throws(() => buildRunSpec([]), /needs an image/);
  assert.throws(() => buildRunSpec(['--cpus', '-1', 'img']), /cpus/);
});
