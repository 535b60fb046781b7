// A real Debian `docker-registry` (CNCF distribution 2.8) on an ephemeral loopback port, and
// busybox test images built with umoci from busybox-static and pushed with skopeo (OCI or Docker
// schema 2). Shared by the images, containers, services and functions suites.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RegistryAuth {
  /** htpasswd basic auth with one user (needs `htpasswd` from apache2-utils for bcrypt). */
  basic?: { username: string; password: string };
  /** Token auth: the registry trusts tokens signed by the key of this certificate. */
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

export interface TestRegistry {
  /** "127.0.0.1:PORT": use as the registry part of image references. */
  host: string;
  url: string;
  /** The registry's working dir (config, storage, image builds); removed by stop(). */
  dir: string;
  /** Storage root of the registry (docker/registry/v2/...), e.g. to corrupt a blob. */
  storage: string;
  /** Credentials skopeo uses to push, when the registry has basic auth. */
  creds?: string;
  stop(): Promise<void>;
}

/** n distinct free ports: all are held open until the last is found (freePort n times can give one port twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** Whether the host has what these helpers need (tests skip with this reason otherwise). */
export function registrySkipReason(): string | false {
  for (const b of ['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/umoci', '/bin/busybox']) if (!existsSync(b)) return `${b} is not installed`;
  if (process.getuid?.() !== 0) return 'umoci unpack needs root';
  return false;
}

export async function startRegistry(opts: { auth?: RegistryAuth; /** Listen address (default 127.0.0.1; a test bridge's address for netns hosts). */ host?: string } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-registry-'));
  const storage = path.join(dir, 'storage');
  await mkdir(storage);
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    'storage:',
    `  filesystem: {rootdirectory: ${storage}}`,
    '  delete: {enabled: true}',
    `http: {addr: "${opts.host ?? '127.0.0.1'}:${port}"}`,
  ];
  let creds: string | undefined;
  if (opts.auth?.basic) {
    const { username, password } = opts.auth.basic;
    const { stdout } = await run('htpasswd', ['-Bbn', username, password]);
    await writeFile(path.join(dir, 'htpasswd'), stdout);
    lines.push('auth:', `  htpasswd: {realm: test, path: ${path.join(dir, 'htpasswd')}}`);
    creds = `${username}:${password}`;
  } else if (opts.auth?.token) {
    const t = opts.auth.token;
    lines.push('auth:', `  token: {realm: "${t.realm}", service: "${t.service}", issuer: "${t.issuer}", rootcertbundle: ${t.certFile}}`);
  }
  await writeFile(path.join(dir, 'config.yml'), lines.join('\n') + '\n');
  const proc: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // A test process that dies without stop() must not leave the registry running.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    host: `${opts.host ?? '127.0.0.1'}:${port}`,
    url,
    dir,
    storage,
    creds,
    async stop() {
      process.removeListener('exit', reap);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface BusyboxImageOptions {
  tag?: string;
  /** 'oci' (default) or 'v2s2' (Docker schema 2). */
  format?: 'oci' | 'v2s2';
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  /** e.g. ["8080/tcp"] */
  exposedPorts?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  architecture?: string;
  /** Extra files in a second layer: path -> content (or content + mode). */
  files?: Record<string, string | { content: string; mode?: number }>;
  /** Paths deleted in that second layer (umoci writes whiteouts for them). */
  remove?: string[];
}

export interface PushedImage {
  /** "127.0.0.1:PORT/NAME:TAG" */
  ref: string;
  /** Manifest digest as stored by the registry. */
  digest: string;
}

// One base layout (busybox rootfs in one layer) per registry, built at the first push.
const bases = new WeakMap<TestRegistry, Promise<string>>();
let seq = 0;

async function baseLayout(reg: TestRegistry): Promise<string> {
  let p = bases.get(reg);
  if (!p) {
    p = (async () => {
      const layout = path.join(reg.dir, 'build', 'layout');
      await mkdir(path.dirname(layout), { recursive: true });
      await run('umoci', ['init', '--layout', layout]);
      await run('umoci', ['new', '--image', `${layout}:base`]);
      const bundle = path.join(reg.dir, 'build', 'base-bundle');
      await run('umoci', ['unpack', '--image', `${layout}:base`, bundle]);
      const root = path.join(bundle, 'rootfs');
      for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev']) await mkdir(path.join(root, d), { recursive: true });
      await chmod(path.join(root, 'tmp'), 0o1777);
      await copyFile('/bin/busybox', path.join(root, 'bin', 'busybox'));
      await chmod(path.join(root, 'bin', 'busybox'), 0o755);
      const { stdout } = await run('/bin/busybox', ['--list']);
      for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) await symlink('busybox', path.join(root, 'bin', applet));
      await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
      await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
      await run('umoci', ['repack', '--image', `${layout}:base`, bundle]);
      await rm(bundle, { recursive: true, force: true });
      return layout;
    })();
    bases.set(reg, p);
  }
  return p;
}

/** Builds a busybox image (applet symlinks, /etc/passwd) with the given config and pushes it. */
export async function pushBusyboxImage(reg: TestRegistry, name: string, opts: BusyboxImageOptions = {}): Promise<PushedImage> {
  const layout = await baseLayout(reg);
  const tag = `t${++seq}`;
  let from = 'base';
  if (opts.files || opts.remove) {
    const bundle = path.join(reg.dir, 'build', `bundle-${tag}`);
    await run('umoci', ['unpack', '--image', `${layout}:base`, bundle]);
    for (const p of opts.remove ?? []) await rm(path.join(bundle, 'rootfs', p), { recursive: true, force: true });
    for (const [p, v] of Object.entries(opts.files ?? {})) {
      const file = path.join(bundle, 'rootfs', p);
      await mkdir(path.dirname(file), { recursive: true });
      const { content, mode } = typeof v === 'string' ? { content: v, mode: 0o644 } : v;
      await writeFile(file, content);
      await chmod(file, mode ?? 0o644);
    }
    await run('umoci', ['repack', '--image', `${layout}:${tag}-files`, bundle]);
    await rm(bundle, { recursive: true, force: true });
    from = `${tag}-files`;
  }
  const args = ['config', '--image', `${layout}:${from}`, '--tag', tag, '--os', 'linux', '--architecture', opts.architecture ?? 'amd64'];
  for (const c of opts.cmd ?? ['/bin/sh']) args.push('--config.cmd', c);
  for (const e of opts.entrypoint ?? []) args.push('--config.entrypoint', e);
  for (const e of opts.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']) args.push('--config.env', e);
  for (const p of opts.exposedPorts ?? []) args.push('--config.exposedports', p);
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--config.label', `${k}=${v}`);
  if (opts.workingDir) args.push('--config.workingdir', opts.workingDir);
  if (opts.user) args.push('--config.user', opts.user);
  await run('umoci', args);
  const ref = `${reg.host}/${name}:${opts.tag ?? 'latest'}`;
  const digestFile = path.join(reg.dir, 'build', `${tag}.digest`);
  const copy = ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile, ...(opts.format === 'v2s2' ? ['--format', 'v2s2'] : ['--format', 'oci'])];
  if (reg.creds) copy.push('--dest-creds', reg.creds);
  await run('skopeo', [...copy, `oci:${layout}:${tag}`, `docker://${ref}`]);
  const digest = (await readFile(digestFile, 'utf8')).trim();
  return { ref, digest };
}
