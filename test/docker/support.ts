// Helpers for the Docker API suites: the real docker CLI (Debian's docker.io 20.10, never its
// dockerd) and raw requests over a test daemon's socket.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestDaemon } from '../support/daemon.js';
import { registrySkipReason } from '../support/registry.js';

export const dockerBin = '/usr/bin/docker';
export const composeBin = '/usr/bin/docker-compose';

export const dockerSkip = (): string | false =>
  registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false) || (!existsSync(dockerBin) ? 'Debian docker.io (its CLI) is not installed' : false);

export const socketOf = (d: TestDaemon): string => path.join(d.dataDir, 'modules', 'llmos.docker-api.v1.socket', 'docker.sock');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client (docker, docker-compose, script) with DOCKER_HOST pointing at the daemon's socket. */
export function client(bin: string, args: string[], sock: string, opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { cwd: opts.cwd, env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(os.tmpdir(), 'llmos-docker-client-config') }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

/** One HTTP request on the socket; the body as text. */
export function raw(sock: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: sock, method, path: p, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))));
}
