// Runs one probe against one replica: exec inside it, HTTP GET to its bridge address, or a TCP
// connect. The answer is only ok/not ok (plus why); the thresholds live in probes.ts.
import http from 'node:http';
import net from 'node:net';
import type { ContainersApi } from '../../contracts/containers.js';
import { errorMessage } from '../../kernel/errors.js';
import type { ProbeSpec } from './types.js';

export interface ProbeTarget {
  containerId: string;
  /** Bridge address of the replica. */
  ip?: string;
}

/** How to reach a replica on another cluster node: a connection made from that node. */
export type Dial = (host: string, port: number) => Promise<NodeJS.ReadWriteStream>;

export async function runProbe(spec: ProbeSpec, target: ProbeTarget, containers: Pick<ContainersApi, 'exec'>, dial?: Dial): Promise<{ ok: boolean; error?: string }> {
  const timeoutMs = spec.timeoutSeconds * 1000;
  try {
    if (spec.exec) {
      const r = await containers.exec(target.containerId, spec.exec.command, { timeoutMs });
      return r.exitCode === 0 ? { ok: true } : { ok: false, error: `exec exited with ${r.exitCode}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
    }
    if (!target.ip) return { ok: false, error: 'replica has no network address' };
    if (dial && (spec.httpGet || spec.tcpSocket)) return await dialProbe(dial, target.ip, spec, timeoutMs);
    if (spec.httpGet) return await httpGet(target.ip, spec.httpGet.port, spec.httpGet.path, timeoutMs);
    if (spec.tcpSocket) return await tcpConnect(target.ip, spec.tcpSocket.port, timeoutMs);
    return { ok: false, error: 'probe has no handler' };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}

/** Kubernetes: any status from 200 to 399 is a success. */
function httpGet(host: string, port: number, path: string, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false, headers: { 'user-agent': 'llmos-probe/1', connection: 'close' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, error: `HTTP ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, error: errorMessage(e) }));
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true });
    });
    s.once('timeout', () => s.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    s.once('error', (e) => resolve({ ok: false, error: errorMessage(e) }));
  });
}

/** tcpSocket: the connection is made; httpGet: an HTTP/1.0 GET on it answers 200-399. */
async function dialProbe(dial: Dial, host: string, spec: ProbeSpec, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  const port = spec.httpGet?.port ?? spec.tcpSocket!.port;
  let s: NodeJS.ReadWriteStream | undefined;
  const timer = new Promise<{ ok: boolean; error: string }>((resolve) => setTimeout(() => resolve({ ok: false, error: `timed out after ${timeoutMs} ms` }), timeoutMs).unref());
  const run = async (): Promise<{ ok: boolean; error?: string }> => {
    s = await dial(host, port);
    if (!spec.httpGet) return { ok: true };
    s.write(`GET ${spec.httpGet.path} HTTP/1.0\r\nHost: ${host}:${port}\r\nUser-Agent: llmos-probe/1\r\n\r\n`);
    let head = '';
    for await (const c of s as AsyncIterable<Buffer>) {
      head += c.toString('latin1');
      if (head.includes('\r\n') || head.length > 1024) break;
    }
    const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1] ?? 0);
    return code >= 200 && code < 400 ? { ok: true } : { ok: false, error: code ? `HTTP ${code}` : 'no HTTP answer' };
  };
  try {
    return await Promise.race([run(), timer]);
  } finally {
    (s as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  }
}
