// bench/start, the Docker socket: `docker run --rm IMAGE /bin/true` (Debian's docker CLI through
// LLMOS's Docker API socket) beside `llmos run --rm` (LLMOS's own CLI and API) and podman, in the
// same interleaved run; and the same one-shot run as raw API calls on each path (Docker: create,
// wait?condition=removed, start; LLMOS: POST /v1/containers/run?attach=true). Target: the socket
// path within 10% of LLMOS's own API path.
// Run (root): npm run build && node dist/bench/start/docker-socket.js [iterations] [--podman]
// (bench/start/run.js calls dockerSocketLines too.)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { llmosBin, startDaemon, type TestDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; out: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (out += b));
    p.on('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? 1, out }));
  });
}

/** One request on the Docker socket; resolves when the whole answer has arrived. */
function onSocket(sock: string, method: string, p: string, body?: unknown, onHeaders?: () => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: sock, method, path: p, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      onHeaders?.();
      let text = '';
      res.on('data', (b: Buffer) => (text += b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** What `docker run --rm` does on the wire, without the CLI process. */
async function socketRun(sock: string, image: string): Promise<number> {
  const t0 = performance.now();
  const c = await onSocket(sock, 'POST', '/v1.41/containers/create', { Image: image, Cmd: ['/bin/true'], HostConfig: { AutoRemove: true } });
  if (c.status !== 201) throw new Error(`create: ${c.text}`);
  const id = (JSON.parse(c.text) as { Id: string }).Id;
  let registered!: () => void;
  const ready = new Promise<void>((r) => (registered = r));
  const waited = onSocket(sock, 'POST', `/v1.41/containers/${id}/wait?condition=removed`, undefined, () => registered());
  await ready;
  const s = await onSocket(sock, 'POST', `/v1.41/containers/${id}/start`);
  if (s.status !== 204) throw new Error(`start: ${s.text}`);
  const w = await waited;
  if (!/"StatusCode":0/.test(w.text)) throw new Error(`wait: ${w.text}`);
  return performance.now() - t0;
}

/** What `llmos run --rm` does on the wire: one attached run that ends with the exit code. */
async function apiRun(d: TestDaemon, image: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${d.host}/v1/containers/run?attach=true`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ image, cmd: ['/bin/true'], autoRemove: true }) });
  const text = await res.text();
  if (!/"type":"exit","exitCode":0/.test(text)) throw new Error(`api run: ${text}`);
  return performance.now() - t0;
}

/**
 * The API path held to the socket path's end point: docker's `--rm` waits for the removal
 * (wait?condition=removed), while `run?attach` answers at the exit, before the removal.
 * The removal is seen by polling the container (every 5 ms) until it is a 404.
 */
async function apiRunRemoved(d: TestDaemon, image: string): Promise<number> {
  const t0 = performance.now();
  const auth = { authorization: `Bearer ${d.token}` };
  const res = await fetch(`${d.host}/v1/containers/run?attach=true`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ image, cmd: ['/bin/true'], autoRemove: true }) });
  const text = await res.text();
  if (!/"type":"exit","exitCode":0/.test(text)) throw new Error(`api run: ${text}`);
  const id = (JSON.parse(text.split('\n')[0]!) as { id: string }).id;
  for (;;) {
    const r = await fetch(`${d.host}/v1/containers/${id}`, { headers: auth });
    await r.arrayBuffer();
    if (r.status === 404) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - t0;
}

export async function dockerSocketLines(o: { d: TestDaemon; image: string; n: number; podman: boolean }): Promise<string[]> {
  const sock = path.join(o.d.dataDir, 'modules', 'llmos.docker-api.v1.socket', 'docker.sock');
  const env = { ...process.env, LLMOS_HOST: o.d.host, LLMOS_DATA_DIR: o.d.dataDir, DOCKER_HOST: `unix://${sock}` };
  const docker = '/usr/bin/docker';
  if (!existsSync(docker)) return ['  docker run --rm: skipped (Debian docker.io CLI not installed)'];
  const podmanArgs = ['--runtime', 'runc', 'run', '--rm', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', o.image, '/bin/true'];
  const t = { docker: [] as number[], llmos: [] as number[], podman: [] as number[], socket: [] as number[], api: [] as number[], apiRemoved: [] as number[] };
  const warm = await timed(docker, ['run', '--rm', o.image, '/bin/true'], env);
  if (warm.code !== 0) throw new Error(`docker run: ${warm.out}`);
  for (let i = 0; i < o.n; i++) {
    const a = await timed(docker, ['run', '--rm', o.image, '/bin/true'], env);
    if (a.code !== 0) throw new Error(`docker run: ${a.out}`);
    t.docker.push(a.ms);
    const b = await timed(llmosBin, ['run', '--rm', o.image, '/bin/true'], env);
    if (b.code !== 0) throw new Error(`llmos run: ${b.out}`);
    t.llmos.push(b.ms);
    if (o.podman) t.podman.push((await timed('podman', podmanArgs, process.env)).ms);
    t.socket.push(await socketRun(sock, o.image));
    t.api.push(await apiRun(o.d, o.image));
    t.apiRemoved.push(await apiRunRemoved(o.d, o.image));
  }
  // `llmos run --rm` answers before its removal ends: let the last ones finish before going on.
  for (let i = 0; i < 200; i++) {
    const all = await o.d.api<{ containers: unknown[] }>('GET', '/v1/containers?all=true');
    if (!all.body.containers.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const lines = [
    `  docker run --rm (docker CLI -> LLMOS socket) ${fmt(t.docker)}`,
    `  llmos run --rm (LLMOS CLI -> LLMOS API)      ${fmt(t.llmos)}`,
    ...(o.podman ? [`  podman --runtime runc run --rm              ${fmt(t.podman)}`] : []),
    `  socket create+wait+start (no CLI)           ${fmt(t.socket)}`,
    `  API run?attach (no CLI)                     ${fmt(t.api)}`,
    `  API run?attach, until removed (no CLI)      ${fmt(t.apiRemoved)}`,
    `  ratio docker CLI / llmos CLI: ${(median(t.docker) / median(t.llmos)).toFixed(2)}x; socket / API wire path: ${(median(t.socket) / median(t.api)).toFixed(2)}x  (target <= 1.10x); to the same end point (removed): ${(median(t.socket) / median(t.apiRemoved)).toFixed(2)}x${o.podman ? `; docker-on-LLMOS / podman: ${(median(t.docker) / median(t.podman)).toFixed(2)}x` : ''}`,
  ];
  return lines;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 10);
  const reg = await startRegistry();
  const d = await startDaemon();
  // podman's CNI leaves chains and a bridge behind, which run.js cleans up: here only on request.
  const podman = process.argv.includes('--podman') && existsSync('/usr/bin/podman');
  try {
    const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
    if (podman) await timed('podman', ['pull', '--quiet', '--tls-verify=false', image], process.env);
    console.log([`bench/start docker socket: ${n} iterations each, interleaved`, ...(await dockerSocketLines({ d, image, n, podman }))].join('\n'));
    if (podman) await timed('podman', ['rmi', '-f', image], process.env);
  } finally {
    await d.stop();
    await reg.stop();
  }
}
