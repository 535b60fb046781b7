// An image instance: a container from the function's image that serves HTTP on `port`. Cold
// start is container start plus readiness, which is polled as a TCP connect to the port.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ContainerInfo, ContainerSpec, ContainersApi } from '../../../contracts/containers.js';
import { InvocationFailed } from '../failures.js';
import type { Instance, InvokeRequest, InvokeResponse } from './instance.js';

export interface ContainerInstanceOptions {
  id: string;
  functionName: string;
  image: string;
  port: number;
  memoryBytes: number;
  env: Record<string, string>;
  /** Longest wait for the port to accept connections. */
  readyTimeoutMs: number;
  containers: ContainersApi;
  /** Created-not-started containers to start from, when the caller keeps them. */
  prepared?: PreparedContainers;
  /** Identity of the function version and its settings: a prepared container must match it. */
  preparedKey?: string;
}

export const SPARE_LABEL = 'llmos.function.spare';

/**
 * One created (not started) container per image function, made after each cold start, so the
 * next cold start skips the root filesystem and bundle and only starts it. A created container
 * runs no process; it holds its root filesystem mount until started or removed.
 */
export class PreparedContainers {
  private readonly byFunction = new Map<string, { key: string; id: Promise<string | undefined> }>();

  constructor(private readonly containers: () => ContainersApi) {}

  /** The prepared container of this function, if it was made for the same key; else undefined. */
  async take(fn: string, key: string): Promise<string | undefined> {
    const p = this.byFunction.get(fn);
    if (!p) return undefined;
    this.byFunction.delete(fn);
    const id = await p.id;
    if (p.key === key) return id;
    if (id) await this.containers().remove(id, { force: true }).catch(() => undefined);
    return undefined;
  }

  prepare(fn: string, key: string, spec: ContainerSpec): void {
    if (this.byFunction.has(fn)) return;
    const name = `${fn}-spare-${randomBytes(4).toString('hex')}`;
    const id = this.containers()
      .create({ ...spec, name, labels: { ...(spec.labels ?? {}), [SPARE_LABEL]: 'true' } })
      .then((c) => c.id, () => undefined);
    this.byFunction.set(fn, { key, id });
  }

  async drop(fn: string): Promise<void> {
    const p = this.byFunction.get(fn);
    if (!p) return;
    this.byFunction.delete(fn);
    const id = await p.id;
    if (id) await this.containers().remove(id, { force: true }).catch(() => undefined);
  }

  async dropAll(): Promise<void> {
    await Promise.all([...this.byFunction.keys()].map((fn) => this.drop(fn)));
  }

  /** Removes spares a previous daemon run left behind. */
  async sweep(): Promise<void> {
    const all = await this.containers().list({ all: true });
    await Promise.all(all.filter((c) => c.labels[SPARE_LABEL] === 'true').map((c) => this.containers().remove(c.id, { force: true }).catch(() => undefined)));
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host', 'content-length']);

/** Resolves once host:port accepts a TCP connection; polls every few ms until the deadline. */
export async function waitForPort(host: string, port: number, timeoutMs: number, isGone: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(50, delay * 1.5)) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
      s.setTimeout(1000, () => done(false));
    });
    if (ok) return;
    const gone = isGone();
    if (gone) throw new Error(gone);
    if (Date.now() > deadline) throw new Error(`port ${port} did not accept connections within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

export class ContainerInstance implements Instance {
  dead: string | undefined;
  startDetail?: string;
  private target = '';
  private containerId = '';
  private readonly ac = new AbortController();

  private constructor(private readonly opts: ContainerInstanceOptions) {
    this.id = opts.id;
  }
  readonly id: string;

  static async start(opts: ContainerInstanceOptions): Promise<ContainerInstance> {
    const inst = new ContainerInstance(opts);
    try {
      await inst.boot();
    } catch (e) {
      await inst.dispose('start failed');
      throw new InvocationFailed('start-failed', `function ${opts.functionName}: container did not start: ${(e as Error).message}`, { cause: e });
    }
    return inst;
  }

  private async boot(): Promise<void> {
    const { containers, image, port, prepared, preparedKey } = this.opts;
    const base: ContainerSpec = {
      image,
      env: this.opts.env,
      memory: this.opts.memoryBytes,
      network: 'bridge',
      init: true,
      owner: `function/${this.opts.functionName}`,
      labels: { 'llmos.function': this.opts.functionName },
    };
    // The bridge address avoids a port mapping (and its NAT rules) on the cold path.
    const t0 = performance.now();
    let id = prepared && preparedKey ? await prepared.take(this.opts.functionName, preparedKey) : undefined;
    const fromSpare = !!id;
    id ??= (await containers.create({ ...base, name: this.id })).id;
    this.containerId = id;
    const tc = performance.now();
    let info: ContainerInfo = await containers.start(id);
    const ts = performance.now();
    let host = info.ip;
    let hostPort = port;
    if (!host) {
      await containers.remove(id, { force: true });
      hostPort = await freePort();
      info = await containers.run({ ...base, name: this.id, ports: [{ hostPort, containerPort: port, protocol: 'tcp', hostIp: '127.0.0.1' }] });
      this.containerId = info.id;
      host = '127.0.0.1';
    }
    void containers.wait(this.containerId, this.ac.signal).then(
      (r) => (this.dead ??= `container exited with ${r.exitCode}${r.oomKilled ? ' (out of memory)' : ''}`),
      () => undefined,
    );
    const t1 = performance.now();
    await waitForPort(host, hostPort, this.opts.readyTimeoutMs, () => this.dead);
    this.startDetail = `${fromSpare ? 'prepared container' : `create ${(tc - t0).toFixed(1)} ms`}, start ${(ts - tc).toFixed(1)} ms, ready ${(performance.now() - t1).toFixed(1)} ms`;
    this.target = `http://${host.includes(':') ? `[${host}]` : host}:${hostPort}`;
    if (prepared && preparedKey) prepared.prepare(this.opts.functionName, preparedKey, base);
  }

  async invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    const u = new URL(req.url);
    const headers = req.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
    let res: Response;
    try {
      res = await fetch(this.target + u.pathname + u.search, {
        method: req.method,
        headers,
        body: req.body && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError') throw new InvocationFailed('timeout', `function ${this.opts.functionName} did not answer within its timeout of ${timeoutMs} ms`);
      if (this.dead) throw new InvocationFailed('handler-error', `function ${this.opts.functionName}: ${this.dead}`);
      throw new InvocationFailed('handler-error', `function ${this.opts.functionName}: ${err.message}${(err.cause as Error)?.message ? `: ${(err.cause as Error).message}` : ''}`);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, statusText: res.statusText, headers: [...res.headers].filter(([k]) => !HOP_BY_HOP.has(k)), body };
  }

  async memoryBytes(): Promise<number> {
    return (await this.opts.containers.stats(this.containerId)).memoryUsage;
  }

  async dispose(reason: string): Promise<void> {
    this.dead ??= reason;
    this.ac.abort();
    if (this.containerId) await this.opts.containers.remove(this.containerId, { force: true }).catch(() => undefined);
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
