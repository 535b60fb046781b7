// An image function's instance on a cluster node: once nodes have joined, the server runs no
// containers itself, so its pool starts each instance on the node the scheduler's cluster
// placement picks (spread over nodes like a service's replicas), through that node's client.
// The server reaches the instance's port with a TCP connection made from the node (the tunnel's
// CONNECT), so it needs no route to the node's pod subnet.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeClient } from '../../contracts/cluster.js';
import type { ContainerInfo } from '../../contracts/containers.js';
import { jsDuplex } from '../../kernel/js-duplex.js';
import { errorMessage } from '../../kernel/errors.js';
import { InvocationFailed } from './failures.js';
import type { Instance, InvokeRequest, InvokeResponse } from './runtime/instance.js';

/** Owner of a function's container on a node: the node's own controllers leave `cluster/` workloads alone. */
export const remoteOwner = (fn: string): string => `cluster/function/${fn}`;

export interface RemoteInstanceOptions {
  id: string;
  functionName: string;
  image: string;
  port: number;
  memoryBytes: number;
  env: Record<string, string>;
  readyTimeoutMs: number;
  node: string;
  client: () => NodeClient;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host', 'content-length']);

/** A dialled tunnel stream as the socket node:http's client expects (it calls these on a socket). */
function asSocket(s: NodeJS.ReadWriteStream & { destroy(e?: Error): void }): Socket {
  const d = jsDuplex(s) as unknown as Socket;
  const m = d as unknown as Record<string, unknown>;
  for (const k of ['setNoDelay', 'setKeepAlive', 'ref', 'unref']) m[k] = () => d;
  m.setTimeout = (_ms: number, cb?: () => void) => (cb && d.once('timeout', cb), d);
  return d;
}

export class RemoteContainerInstance implements Instance {
  dead: string | undefined;
  startDetail?: string;
  containerId = '';
  private ip = '';
  readonly id: string;

  private constructor(private readonly o: RemoteInstanceOptions) {
    this.id = o.id;
  }

  get node(): string {
    return this.o.node;
  }

  static async start(o: RemoteInstanceOptions): Promise<RemoteContainerInstance> {
    const inst = new RemoteContainerInstance(o);
    try {
      await inst.boot();
    } catch (e) {
      await inst.dispose('start failed');
      throw new InvocationFailed('start-failed', `function ${o.functionName}: container did not start on node ${o.node}: ${errorMessage(e)}`, { cause: e });
    }
    return inst;
  }

  private async boot(): Promise<void> {
    const t0 = performance.now();
    const info = await this.o.client().json<ContainerInfo>('POST', '/v1/containers/run', {
      image: this.o.image,
      name: this.id,
      env: this.o.env,
      memory: this.o.memoryBytes,
      network: 'bridge',
      init: true,
      owner: remoteOwner(this.o.functionName),
      labels: { 'llmos.function': this.o.functionName },
    });
    this.containerId = info.id;
    if (!info.ip) throw new Error('the container has no address on its node');
    this.ip = info.ip;
    const t1 = performance.now();
    const deadline = Date.now() + this.o.readyTimeoutMs;
    for (let delay = 5; ; delay = Math.min(100, delay * 1.5)) {
      const s = await this.o.client().dial(this.ip, this.o.port).catch(() => undefined);
      if (s) {
        (s as unknown as { destroy(): void }).destroy();
        break;
      }
      if (Date.now() > deadline) throw new Error(`port ${this.o.port} did not accept connections within ${this.o.readyTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
    this.startDetail = `node ${this.o.node}: run ${(t1 - t0).toFixed(1)} ms, ready ${(performance.now() - t1).toFixed(1)} ms`;
  }

  invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    const u = new URL(req.url);
    const headers = req.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
    const body = req.body && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined;
    const fail = (e: unknown): InvocationFailed => {
      if (this.dead) return new InvocationFailed('handler-error', `function ${this.o.functionName}: ${this.dead}`);
      return new InvocationFailed('handler-error', `function ${this.o.functionName} on node ${this.o.node}: ${errorMessage(e)}`);
    };
    return new Promise<InvokeResponse>((resolve, reject) => {
      const r = httpRequest({
        method: req.method,
        path: u.pathname + u.search,
        headers: [...headers.flat(), 'host', `${this.ip}:${this.o.port}`, 'connection', 'close', ...(body ? ['content-length', String(body.byteLength)] : [])],
        // A fresh connection made from the node for each request (no agent: nothing to pool across tunnels).
        createConnection: ((_opts: unknown, cb: (e: Error | null, s?: Socket) => void) => {
          this.o.client().dial(this.ip, this.o.port).then((s) => cb(null, asSocket(s as NodeJS.ReadWriteStream & { destroy(e?: Error): void })), (e: Error) => cb(e));
          return undefined;
        }) as never,
      });
      const timer = setTimeout(() => {
        r.destroy();
        reject(new InvocationFailed('timeout', `function ${this.o.functionName} did not answer within its timeout of ${timeoutMs} ms`));
      }, timeoutMs);
      const cancelOff = req.onCancel?.(() => r.destroy(new Error('the caller went away')));
      const done = () => {
        clearTimeout(timer);
        cancelOff?.();
      };
      r.once('error', (e) => {
        done();
        reject(fail(e));
      });
      r.once('response', (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('error', (e) => {
          done();
          reject(fail(e));
        });
        res.once('end', () => {
          done();
          const out: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) if (!HOP_BY_HOP.has(res.rawHeaders[i]!.toLowerCase())) out.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode ?? 502, statusText: res.statusMessage, headers: out, body: new Uint8Array(Buffer.concat(parts)) });
        });
      });
      r.end(body);
    });
  }

  async memoryBytes(): Promise<number> {
    if (!this.containerId) return 0;
    const s = await this.o.client().json<{ memoryUsage?: number }>('GET', `/v1/containers/${encodeURIComponent(this.containerId)}/stats`).catch(() => undefined);
    return s?.memoryUsage ?? 0;
  }

  async dispose(reason: string): Promise<void> {
    this.dead ??= reason;
    if (!this.containerId) return;
    const id = this.containerId;
    this.containerId = '';
    // A node that went away took the container with it; the server's sweep removes what is left later.
    await this.o.client().json('DELETE', `/v1/containers/${encodeURIComponent(id)}?force=true`).catch(() => undefined);
  }
}
