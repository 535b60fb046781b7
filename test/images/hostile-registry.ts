// A hand-written "registry" on loopback that answers whatever a test wants: malformed auth
// challenges, garbage manifests and configs. An untrusted registry is an attacker too.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HostileRegistry {
  host: string;
  /** Requests seen, as "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

export async function hostileRegistry(answer: (method: string, url: URL) => Answer | undefined): Promise<HostileRegistry> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}`);
    req.resume();
    let a: Answer | undefined;
    try {
      a = answer(req.method ?? 'GET', url);
    } catch {
      a = { status: 500 };
    }
    a ??= { status: 404, body: '{"errors":[{"code":"NOT_FOUND"}]}' };
    res.writeHead(a.status ?? 200, a.headers ?? {});
    res.end(a.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
