import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, cpuQuota, defaultCapabilities, processArgs, processEnv, resolveUser, type SpecInput } from './spec.js';

const base: SpecInput = {
  id: 'abc',
  hostname: 'abc123',
  rootfs: '/r',
  image: { entrypoint: ['/entry'], cmd: ['default'], env: ['PATH=/bin', 'A=image'], workingDir: '/app' },
  spec: { image: 'x' },
  user: { uid: 0, gid: 0, additionalGids: [] },
  network: { mode: 'bridge', netnsPath: '/var/run/netns/n' },
  cgroupsPath: '/llmos/t/abc',
  etcFiles: { hosts: '/h', hostname: '/hn', resolvConf: '/rc' },
  nofileHardLimit: 20000,
  arch: 'x64',
};

test('args: Docker rules for Entrypoint and Cmd', () => {
  const img = { entrypoint: ['/e'], cmd: ['c'] };
  assert.deepEqual(processArgs(img, {}), ['/e', 'c']);
  assert.deepEqual(processArgs(img, { cmd: ['x'] }), ['/e', 'x']);
  assert.deepEqual(processArgs(img, { entrypoint: ['/o'] }), ['/o'], 'overriding the entrypoint drops the image Cmd');
  assert.deepEqual(processArgs(img, { entrypoint: [], cmd: ['/bin/true'] }), ['/bin/true']);
  assert.throws(() => processArgs({}, {}), /no command specified/);
});

test('env: image first, overrides win, PATH and HOSTNAME always set', () => {
  assert.deepEqual(processEnv({ env: ['A=1', 'B=2'] }, { B: '3' }, 'h'), ['A=1', 'B=3', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h']);
  assert.throws(() => processEnv({}, { 'A=B': 'x' }, 'h'), /invalid environment variable name/);
});

test('user: numeric, names from passwd and group, errors for unknown names', () => {
  const passwd = 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
  const group = 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n';
  assert.deepEqual(resolveUser(undefined), { uid: 0, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUser('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [2000] });
  assert.deepEqual(resolveUser('1000:extra', passwd, group), { uid: 1000, gid: 2000, additionalGids: [] });
  assert.deepEqual(resolveUser('4242'), { uid: 4242, gid: 0, additionalGids: [] });
  assert.throws(() => resolveUser('ghost', passwd, group), /unable to find user ghost/);
  assert.throws(() => resolveUser('app:ghosts', passwd, group), /unable to find group ghosts/);
});

test('cpu quota: cores times a 100 ms period', () => {
  assert.deepEqual(cpuQuota(0.5), { quota: 50_000, period: 100_000 });
  assert.deepEqual(cpuQuota(2), { quota: 200_000, period: 100_000 });
});

test('spec: hardening, namespaces, limits and rlimits within the host limit', () => {
  const s = buildSpec({ ...base, spec: { image: 'x', memory: 64 * 2 ** 20, cpus: 0.5, pidsLimit: 10, env: { A: 'flag' }, readOnly: true, volumes: [{ hostPath: '/data', containerPath: '/d', readOnly: true }] } }) as any;
  assert.deepEqual(s.process.args, ['/entry', 'default']);
  assert.equal(s.process.cwd, '/app');
  assert.ok(s.process.env.includes('A=flag'));
  assert.equal(s.process.noNewPrivileges, true);
  assert.deepEqual(s.process.capabilities.bounding, defaultCapabilities);
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.equal(s.root.readonly, true);
  assert.deepEqual(s.linux.namespaces.map((n: any) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network']);
  assert.equal(s.linux.namespaces[4].path, '/var/run/netns/n');
  assert.deepEqual(s.linux.resources.memory, { limit: 64 * 2 ** 20, swap: 64 * 2 ** 20 });
  assert.deepEqual(s.linux.resources.cpu, { quota: 50_000, period: 100_000 });
  assert.deepEqual(s.linux.resources.pids, { limit: 10 });
  assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
  assert.ok(s.mounts.some((m: any) => m.destination === '/d' && m.options.includes('ro')));
});

test('spec: non-root users get no effective capabilities; host network has no netns; --init wraps the command', () => {
  const s = buildSpec({ ...base, user: { uid: 1000, gid: 1000, additionalGids: [] }, network: { mode: 'host' }, spec: { image: 'x', init: true }, initBinary: '/usr/bin/catatonit' }) as any;
  assert.deepEqual(s.process.capabilities.effective, []);
  assert.ok(!s.linux.namespaces.some((n: any) => n.type === 'network'));
  assert.deepEqual(s.process.args, ['/run/llmos-init', '--', '/entry', 'default']);
  const none = buildSpec({ ...base, network: { mode: 'none' } }) as any;
  assert.deepEqual(none.linux.namespaces.at(-1), { type: 'network' });
});

test('spec: bad limits and paths are refused', () => {
  assert.throws(() => buildSpec({ ...base, spec: { image: 'x', memory: 1024 } }), /at least 6 MiB/);
  assert.throws(() => buildSpec({ ...base, spec: { image: 'x', cpus: 0 } }), /greater than 0/);
  assert.throws(() => buildSpec({ ...base, spec: { image: 'x', workingDir: 'rel' } }), /must be absolute/);
  assert.throws(() => buildSpec({ ...base, spec: { image: 'x', init: true } }), /catatonit/);
});
