// The CLI's side of attach and interactive exec: an HTTP upgrade to the daemon, then frames
// (see src/modules/api/routes/stdio.ts). With a TTY the local terminal goes raw (restored on
// exit, error and signal) and its size follows SIGWINCH; stdin EOF ends the process's stdin.
import http from 'node:http';
import type { Socket } from 'node:net';
import { CliError, type ApiClient } from '../client.js';

function frameOf(type: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

async function upgrade(client: ApiClient, p: string): Promise<Socket> {
  const url = new URL(client.base + p);
  // An API off loopback serves TLS with the cluster CA (cluster mode). node:https (tls, crypto) is
  // imported only then: the containers group loads this file, and `ps` need not compile them.
  const transport = url.protocol === 'https:' ? await import('node:https') : http;
  return new Promise((resolve, reject) => {
    const req = transport.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', ...(url.protocol === 'https:' ? client.trust() : {}), headers: { authorization: `Bearer ${client.token}`, connection: 'Upgrade', upgrade: 'tcp' } });
    req.on('upgrade', (_res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve(socket as Socket);
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let msg = text;
        try {
          msg = (JSON.parse(text) as { error?: string }).error ?? text;
        } catch {
          /* not JSON */
        }
        reject(new CliError(msg.trim() || `HTTP ${res.statusCode}`));
      });
    });
    req.on('error', (e) => reject(new CliError(`cannot reach the daemon at ${client.base}: ${e.message}`)));
    req.end();
  });
}

export interface StdioRun {
  stdin: boolean;
  tty: boolean;
  /** Called once the connection is up (run starts the container here). */
  ready?: (sendSize: () => void) => Promise<void>;
}

/** Connects, relays until the end, and returns the exit code (undefined after a detach). */
export async function runStdio(client: ApiClient, p: string, o: StdioRun): Promise<number | undefined> {
  const sock = await upgrade(client, p);
  const stdin = process.stdin;
  const raw = o.tty && stdin.isTTY;
  const sendSize = () => {
    if (o.tty && process.stdout.isTTY) sock.write(frameOf(4, JSON.stringify({ rows: process.stdout.rows, cols: process.stdout.columns })));
  };
  const restore = () => {
    if (raw) stdin.setRawMode(false);
  };
  const onSignalExit = () => {
    restore();
    process.exit(130);
  };
  if (raw) {
    stdin.setRawMode(true);
    process.once('SIGTERM', onSignalExit);
  }
  process.stdout.on('resize', sendSize);
  const onData = (d: Buffer) => sock.write(frameOf(0, d));
  const onEnd = () => sock.write(frameOf(3, ''));
  try {
    sendSize();
    if (o.stdin) {
      stdin.on('data', onData);
      stdin.once('end', onEnd);
    }
    await o.ready?.(sendSize);
    let buf: Buffer = Buffer.alloc(0);
    let end: { exitCode?: number; detached?: boolean; error?: string } | undefined;
    for await (const d of sock as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 8) {
        const n = buf.readUInt32BE(4);
        if (buf.length < 8 + n) break;
        const t = buf[0];
        const data = buf.subarray(8, 8 + n);
        buf = buf.subarray(8 + n);
        if (t === 1) process.stdout.write(data);
        else if (t === 2) process.stderr.write(data);
        else if (t === 3) end = JSON.parse(data.toString()) as typeof end;
      }
      if (end) break;
    }
    sock.destroy();
    if (!end) throw new CliError('the daemon closed the connection before the process ended');
    if (end.error) throw new CliError(end.error);
    return end.detached ? undefined : (end.exitCode ?? 0);
  } finally {
    restore();
    process.stdout.off('resize', sendSize);
    process.off('SIGTERM', onSignalExit);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    if (raw || o.stdin) stdin.unref?.();
  }
}
