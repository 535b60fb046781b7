// What the API fuzz leaves out, what it rewrites, and the 5xx it knows about (with their owners).

/**
 * Routes not fuzzed: loading and unloading modules changes what every other route answers (503 by
 * design), and pull/push/login/load/import reach registries or read archives; they have their own
 * suites (test/fuzz/images*, owned by the images module).
 */
export function excluded(method: string, path: string): boolean {
  return /^\/v1\/modules\/\{name\}\/(load|unload)$/.test(path) || (method === 'POST' && /^\/v1\/images\/(pull|push|login|logout|load|import)$/.test(path));
}

/** A request that asked to follow a stream (SSE): an open answer is right. */
export const streaming = (qs: URLSearchParams): boolean => ['true', '1'].includes(qs.get('follow') ?? '') || ['true', '1'].includes(qs.get('attach') ?? '');

/**
 * Network tests may only reach loopback: any field that names something to fetch (an image, an
 * MQTT broker) is pointed at a closed loopback port, keeping the fuzzed text in the path.
 */
const remote = new Set(['image', 'ref', 'mqttUrl', 'url', 'broker', 'registry', 'server']);
export function sanitize(v: unknown): unknown {
  const stack: unknown[] = [v];
  let steps = 0;
  while (stack.length && steps++ < 100_000) {
    const x = stack.pop();
    if (!x || typeof x !== 'object') continue;
    for (const [k, y] of Object.entries(x as Record<string, unknown>)) {
      if (remote.has(k) && typeof y === 'string') (x as Record<string, unknown>)[k] = k === 'mqttUrl' || k === 'url' || k === 'broker' ? 'mqtt://127.0.0.1:1' : `127.0.0.1:1/fuzz/${y.replace(/[^a-z0-9]/g, '').slice(0, 30) || 'x'}:1`;
      else if (y && typeof y === 'object') stack.push(y);
    }
  }
  return v;
}

/** The one 5xx that is right: the (closed, loopback) registry an image points at is down. */
export const upstreamDown = (status: number, body: string): boolean => status === 503 && /"code":"E_UNAVAILABLE"/.test(body) && /127\.0\.0\.1:1\b/.test(body);

/** 5xx found by this suite on routes other engineers own: route -> owner and what to fix. */
export const KNOWN: Record<string, string> = {};
