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

export async function runProbe(spec: ProbeSpec, target: ProbeTarget, containers: Pick<ContainersApi, 'exec'>): Promise<{ ok: boolean; error?: string }> {
  const timeoutMs = spec.timeoutSeconds * 1000;
  try {
    if (spec.exec) {
      const r = await containers.exec(target.containerId, spec.exec.command, { timeoutMs });
      return r.exitCode === 0 ? { ok: true } : { ok: false, error: `exec exited with ${r.exitCode}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
    }
    if (!target.ip) return { ok: false, error: 'replica has no network address' };
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
