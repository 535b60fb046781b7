import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunSpec, parseEnv, parsePort, parsePorts, parseVolume, placementQuery, splitAtFirstPositional } from './run-flags.js';
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
  // Docker's -p CONTAINERPORT: any free host port (0, chosen by the daemon); ranges of equal length.
  assert.deepEqual(parsePorts('80'), [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePorts('8000-8001:80-81/udp'), [{ hostPort: 8000, containerPort: 80, protocol: 'udp' }, { hostPort: 8001, containerPort: 81, protocol: 'udp' }]);
  assert.throws(() => parsePorts('8000-8002:80-81'), /same length/);
  assert.throws(() => parsePort('x:80'), /invalid port mapping/);
  assert.throws(() => parsePort('0:80'), /ports are 1-65535/);
  assert.deepEqual(parseVolume('/a:/b:ro'), { hostPath: '/a', containerPath: '/b', readOnly: true });
  // A bare name is a named volume (Docker's rule); a path, even relative, is a bind mount.
  assert.deepEqual(parseVolume('data:/b', '/w'), { type: 'volume', source: 'data', target: '/b' });
  assert.deepEqual(parseVolume('./data:/b', '/w'), { hostPath: '/w/data', containerPath: '/b', readOnly: false });
  assert.deepEqual(parseVolume('/anon'), { type: 'volume', target: '/anon' });
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

test('Docker\'s run flags: -h is the hostname, binary memory units, mounts, limits, -i/-t and health checks', () => {
  const { spec } = buildRunSpec(['-h', 'box', '-m', '64M', '--memory-swap', '128MiB', '--add-host', 'db:10.0.0.2', '--dns', '1.1.1.1', '--cap-add', 'net_admin', '--cap-drop', 'ALL', '--tmpfs', '/run:size=1m,mode=700', '--mount', 'type=volume,source=v,target=/v,readonly', '--ulimit', 'nofile=100:200', '--shm-size', '1g', '-P', '--expose', '8080', '--stop-signal', 'INT', '--stop-timeout', '3', '--cpu-shares', '512', '--cpuset-cpus', '0', '--group-add', 'audio', '--sysctl', 'net.ipv4.ip_forward=1', '--device', '/dev/fuse', '--pull', 'never', '--platform', 'linux/amd64', '--security-opt', 'no-new-privileges', 'img']);
  assert.equal(spec.hostname, 'box');
  assert.equal(spec.memory, 64 * 2 ** 20);
  assert.equal(spec.memorySwap, 128 * 2 ** 20);
  assert.deepEqual(spec.mounts, [{ type: 'tmpfs', target: '/run', tmpfsSize: 2 ** 20, tmpfsMode: 0o700 }, { type: 'volume', source: 'v', target: '/v', readOnly: true }]);
  assert.deepEqual(spec.ulimits, [{ name: 'nofile', soft: 100, hard: 200 }]);
  assert.equal(spec.shmSize, 2 ** 30);
  assert.deepEqual([spec.publishAll, spec.expose, spec.stopSignal, spec.stopTimeout, spec.cpuShares, spec.cpusetCpus], [true, ['8080'], 'INT', 3, 512, '0']);
  assert.deepEqual(spec.devices, [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: 'rwm' }]);
  assert.deepEqual([spec.pull, spec.platform, spec.noNewPrivileges, spec.sysctls], ['never', 'linux/amd64', true, { 'net.ipv4.ip_forward': '1' }]);
  assert.deepEqual(((r) => [r.interactive, r.tty])(buildRunSpec(['-it', 'img'])), [true, true]);
  // Without --health-cmd the image's HEALTHCHECK test is kept (an empty test), as Docker's.
  assert.deepEqual(buildRunSpec(['--health-interval', '5s', 'img']).spec.healthcheck, { test: [], intervalMs: 5000, timeoutMs: undefined, startPeriodMs: undefined });
  assert.throws(() => buildRunSpec(['--security-opt', 'apparmor=x', 'img']), /--security-opt "apparmor=x" is not supported/);
  assert.throws(() => buildRunSpec(['-m', '64Q', 'img']), /invalid --memory/);
  assert.throws(() => buildRunSpec(['-h']), /hostname/);
});

test('placementQuery: --node, or --node-selector K=V (repeatable) for the scheduler; bad or both is one line', () => {
  assert.equal(placementQuery(undefined), '');
  assert.equal(placementQuery('h1'), 'node=h1');
  assert.equal(placementQuery(undefined, ['disk=ssd', 'llmos.io/zone=a']), 'nodeSelector=disk%3Dssd&nodeSelector=llmos.io%2Fzone%3Da');
  assert.throws(() => placementQuery(undefined, ['disk']), /invalid --node-selector "disk": expected KEY=VALUE/);
  assert.throws(() => placementQuery(undefined, ['disk=a b']), /invalid --node-selector: label disk: "a b" is not a label value/);
  assert.throws(() => placementQuery('h1', ['disk=ssd']), /exclude each other/);
  assert.equal(buildRunSpec(['--node-selector', 'disk=ssd', 'busybox']).where, 'nodeSelector=disk%3Dssd');
});
