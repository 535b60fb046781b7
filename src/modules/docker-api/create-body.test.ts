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
  });
});

test('a user network and its aliases (docker run --network N --network-alias A, compose) become userNetwork and networkAliases', async () => {
  const spec = await toContainerSpec({ Image: 'img', HostConfig: { NetworkMode: 'app_default' }, NetworkingConfig: { EndpointsConfig: { app_default: { Aliases: ['web', 'web'], IPAMConfig: null } } } }, null, opts);
  assert.equal(spec.network, undefined);
  assert.equal(spec.userNetwork, 'app_default');
  assert.deepEqual(spec.networkAliases, ['web']);
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
