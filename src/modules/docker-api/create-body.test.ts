import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toContainerSpec } from './create-body.js';
import { DockerError } from './errors.js';

const opts = { freePort: async () => 40000 };

// What `docker run -d --name web -p 8080:80 -p 90 -e A=1 -m 64m --cpus 0.5 --restart on-failure:3
// -v /srv:/data:ro --read-only --init --rm IMG sh -c x` sends (zero values included, as the CLI does).
const cliBody = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  ExposedPorts: { '80/tcp': {}, '90/tcp': {} },
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: ['A=1', 'B=x=y'],
  Cmd: ['sh', '-c', 'x'],
  Image: 'img',
  Volumes: {},
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: { team: 'a' },
  HostConfig: {
    Binds: ['/srv:/data:ro'],
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '90/tcp': [{ HostIp: '', HostPort: '' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    AutoRemove: true,
    VolumeDriver: '',
    VolumesFrom: null,
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: true,
    ShmSize: 0,
    ConsoleSize: [0, 0],
    Memory: 64 * 2 ** 20,
    NanoCpus: 500_000_000,
    CpuShares: 0,
    PidsLimit: null,
    MemorySwappiness: null,
    Init: true,
    Mounts: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

test('the docker CLI\'s create body becomes the LLMOS spec, zero values ignored', async () => {
  const spec = await toContainerSpec(cliBody, '/web', opts);
  assert.deepEqual(spec, {
    image: 'img',
    name: 'web',
    cmd: ['sh', '-c', 'x'],
    env: { A: '1', B: 'x=y' },
    labels: { team: 'a' },
    volumes: [{ hostPath: '/srv', containerPath: '/data', readOnly: true }],
    network: 'bridge',
    ports: [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 40000, containerPort: 90, protocol: 'tcp' },
    ],
    restart: { name: 'on-failure', maxRetries: 3 },
    autoRemove: true,
    memory: 64 * 2 ** 20,
    cpus: 0.5,
    readOnly: true,
    init: true,
    expose: ['80/tcp', '90/tcp'],
    pull: 'never',
  });
});

test('-P, --expose, -v /path, --stop-timeout 0, --platform-free fields map onto the spec; the runtime picks -P\'s ports', async () => {
  const s = await toContainerSpec({ Image: 'img', ExposedPorts: { '81/tcp': {} }, Volumes: { '/anon': {}, '/bound': {} }, StopTimeout: 0, HostConfig: { PublishAllPorts: true, Binds: ['/srv:/bound'], Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o700 } }], Tmpfs: { '/x': 'rw,noexec,size=1m,mode=1770' } } }, null, opts);
  assert.equal(s.publishAll, true);
  assert.deepEqual(s.expose, ['81/tcp']);
  assert.equal(s.ports, undefined, 'no host port chosen here');
  assert.equal(s.stopTimeout, 0);
  assert.deepEqual(s.volumes, [{ hostPath: '/srv', containerPath: '/bound', readOnly: false }]);
  assert.deepEqual(s.mounts, [
    { type: 'tmpfs', target: '/x', noExec: true, tmpfsSize: 1 << 20, tmpfsMode: 0o1770 },
    { type: 'tmpfs', target: '/t', readOnly: false, tmpfsSize: 1 << 20, tmpfsMode: 0o700 },
    { type: 'volume', target: '/anon' },
  ]);
});

test('a user network and its aliases (docker run --network N --network-alias A, compose) become userNetwork and networkAliases', async () => {
  const spec = await toContainerSpec({ Image: 'img', HostConfig: { NetworkMode: 'app_default' }, NetworkingConfig: { EndpointsConfig: { app_default: { Aliases: ['web', 'web'], IPAMConfig: null } } } }, null, opts);
  assert.equal(spec.network, undefined);
  assert.equal(spec.userNetwork, 'app_default');
  assert.deepEqual(spec.networkAliases, ['web']);
  // docker 28's CLI names the default network "default" in EndpointsConfig (it was refused, so every docker run failed).
  assert.equal((await toContainerSpec({ Image: 'img', HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { default: {} } } }, null, opts)).network, 'bridge');
});

test('a set field LLMOS cannot honour is a 400 naming it, never ignored', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ HostConfig: { SecurityOpt: ['apparmor=unconfined'] } }, /HostConfig\.SecurityOpt apparmor=unconfined is not supported/],
    [{ HostConfig: { Runtime: 'kata' } }, /HostConfig\.Runtime is not supported/],
    [{ Domainname: 'example.com' }, /Config\.Domainname is not supported/],
    [{ HostConfig: { NetworkMode: 'mynet' }, NetworkingConfig: { EndpointsConfig: { other: {} } } }, /connect others after/],
    [{ HostConfig: { NetworkMode: 'bridge' }, NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['a'] } } } }, /aliases need a user-defined network/],
    [{ HostConfig: { NetworkMode: 'container:x' } }, /sharing another container's network/],
    [{ HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, /invalid restart policy/],
    [{ HostConfig: { PortBindings: { '80-81/tcp': [] } } }, /invalid port/],
    [{ HostConfig: { Memory: -1 } }, /Memory must be a non-negative integer/],
    [{ Env: ['NOVALUE'] }, /not KEY=VALUE/],
    [{ HostConfig: { LogConfig: { Type: 'syslog' } } }, /LogConfig\.Type syslog/],
    [{ HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } } } }, /--log-opt max-size\) is not supported/],
    [{ HostConfig: { OomScoreAdj: 500 } }, /HostConfig\.OomScoreAdj is not supported/],
    [{ HostConfig: { CgroupnsMode: 'host' } }, /HostConfig\.CgroupnsMode is not supported/],
    [{ HostConfig: { CpuPeriod: 50000 } }, /CpuPeriod without CpuQuota/],
    [{ HostConfig: { Binds: ['v:/d:nocopy'] } }, /option nocopy is not supported/],
    [{ HostConfig: { Tmpfs: { '/t': 'suid' } } }, /tmpfs option suid is not supported/],
    [{ HostConfig: { Mounts: [{ Type: 'bind', Source: '/srv', Target: '/s', BindOptions: { Propagation: 'shared' } }] } }, /bind-propagation=shared is not supported/],
    [{ HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true } }] } }, /VolumeOptions\.NoCopy \(volume-nocopy\) is not supported/],
    [{ HostConfig: { Mounts: [{ Type: 'npipe', Source: 'x', Target: '/v' }] } }, /Type npipe is not supported/],
    [{ ExposedPorts: { '80/sctp': {} } }, /invalid exposed port/],
    // Found by the fuzz suite: a key named after an Object.prototype member was a TypeError (a 500).
    [{ HostConfig: { toString: { '': ' ' } } }, /HostConfig\.toString is not supported/],
    [{ constructor: 1 }, /Config\.constructor is not supported/],
  ];
  for (const [extra, re] of cases) {
    const body = { Image: 'img', ...extra };
    await assert.rejects(toContainerSpec(body, null, opts), (e: unknown) => e instanceof DockerError && e.status === 400 && re.test(e.message), JSON.stringify(extra));
  }
  await assert.rejects(toContainerSpec({ Image: 'img' }, 'a', opts), /Invalid container name \(a\)/, 'Docker names have at least two characters');
  await assert.rejects(toContainerSpec({}, null, opts), /Config\.Image is required/);
});

test('entrypoint "" clears it; unless-stopped is always; string Cmd is one argument', async () => {
  const s = await toContainerSpec({ Image: 'img', Entrypoint: [''], Cmd: 'ls', HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: 'host', CpuQuota: 50000, CpuPeriod: 100000 } }, null, opts);
  assert.deepEqual(s.entrypoint, []);
  assert.deepEqual(s.cmd, ['ls']);
  assert.deepEqual(s.restart, { name: 'always' });
  assert.equal(s.network, 'host');
  assert.equal(s.cpus, 0.5);
});
