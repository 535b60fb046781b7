// A command inside a test host's netns whose exit code is the result (a refused login, a refused
// certificate), with stdout and stderr together for the failure message; killed after timeoutMs.
import { spawn } from 'node:child_process';

export function runInNetns(netns: string, cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', netns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, out });
    });
  });
}
