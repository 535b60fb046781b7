// Tells a leader election from a lost quorum. A call that fails while most members accept a TCP
// connection is almost always etcd electing a new leader (about a second with etcd's defaults):
// worth trying again, so losing one member of three shows nothing. With most members down no
// retry can succeed, and the caller fails fast (the "503 within 2 s").
import net from 'node:net';

/** HOST and PORT of an endpoint `http(s)://HOST:PORT` (as store-url.ts writes them). */
export function endpointAddress(endpoint: string): { host: string; port: number } {
  const u = new URL(endpoint);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

function accepts(endpoint: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(endpointAddress(endpoint));
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true)).once('error', () => done(false));
  });
}

/** Whether more than half of the members accept a connection within timeoutMs. */
export async function majorityReachable(endpoints: readonly string[], timeoutMs = 250): Promise<boolean> {
  const up = (await Promise.all(endpoints.map((e) => accepts(e, timeoutMs)))).filter(Boolean).length;
  return up > endpoints.length / 2;
}
