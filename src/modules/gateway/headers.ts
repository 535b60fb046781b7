// What crosses the gateway in headers, both ways, and how a request finds its function. Pure.
// Client-sent forwarding and internal headers are dropped (the gateway sets its own); a function's
// x-llmos-* response headers are dropped (only the gateway speaks for the platform); the Host
// header is checked before it goes into request.url.

export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authorization', 'content-length']);

/** Headers a client may not set: the gateway sets them from what it saw. */
const CLIENT_DROPPED = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-prefix', 'x-real-ip', 'forwarded', 'cf-connecting-ip', 'true-client-ip', 'x-request-id']);

/** Header carrying how many times a request passed the gateway (a function calling itself). */
export const HOPS_HEADER = 'x-llmos-hops';
/** Past this many hops the gateway answers 508 Loop Detected. */
export const MAX_HOPS = 16;

/** A Host header as RFC 9110 allows: a name or an IPv4 / bracketed IPv6 literal, and a port. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

// Clients send the same Host on every request: the last answer is kept (the regex was a visible
// share of the warm path in bench/functions/profile).
let lastHost: string | undefined;
let lastValid: string | undefined;

/** The Host header lowercased, or undefined when it is not a valid host[:port]. */
export function validHost(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return 'localhost';
  if (host === lastHost) return lastValid;
  lastValid = checkHost(host);
  lastHost = host;
  return lastValid;
}

function checkHost(host: string): string | undefined {
  if (host.length > 260 || !HOST.test(host)) return undefined;
  const port = /:(\d+)$/.exec(host)?.[1];
  if (port !== undefined && Number(port) > 65535) return undefined;
  return host.toLowerCase();
}

/** The hop count a request arrived with (0 when absent or not a number). */
export function hopsOf(raw: string | string[] | undefined): number {
  const v = Array.isArray(raw) ? raw[0] : raw;
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n >= 0 ? Math.min(n, 1e6) : 0;
}

export interface ForwardOpts {
  /** The caller sent the API token: it is not passed on (the function's author is not trusted with it). */
  dropAuthorization: boolean;
  remoteAddress: string | undefined;
  prefix: string;
  hops: number;
  requestId: string;
}

/** The headers the function sees, from node's rawHeaders. */
export function requestHeaders(raw: string[], o: ForwardOpts): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(k) || CLIENT_DROPPED.has(k) || k.startsWith('x-llmos-') || (o.dropAuthorization && k === 'authorization')) continue;
    out.push([k, raw[i + 1]!]);
  }
  if (o.prefix) out.push(['x-forwarded-prefix', o.prefix]);
  if (o.remoteAddress) out.push(['x-forwarded-for', o.remoteAddress], ['cf-connecting-ip', o.remoteAddress]);
  out.push(['x-forwarded-proto', 'http'], ['x-request-id', o.requestId], [HOPS_HEADER, String(o.hops + 1)]);
  return out;
}

/** A function's response headers as node's writeHead takes them, without hop-by-hop or internal ones. */
export function responseHeaders(headers: [string, string][], requestId: string, bodyBytes: number): string[] {
  const flat: string[] = [];
  for (const [k, v] of headers) if (!HOP_BY_HOP.has(k) && !k.startsWith('x-llmos-') && k !== 'x-request-id') flat.push(k, v);
  flat.push('content-length', String(bodyBytes), 'x-request-id', requestId);
  return flat;
}

export interface HostRoute {
  name: string;
  namespace?: string;
}

/**
 * Host-based routing: NAME.DOMAIN or NAME.NAMESPACE.DOMAIN (DOMAIN default fn.localhost) gives
 * the whole path space to the function. Undefined for any other host.
 */
let lastRoute: { host: string; domain: string; route: HostRoute | undefined } | undefined;

export function routeByHost(host: string, domain: string): HostRoute | undefined {
  const c = lastRoute;
  if (c && c.host === host && c.domain === domain) return c.route && { ...c.route };
  const route = hostRoute(host, domain);
  lastRoute = { host, domain, route };
  return route && { ...route };
}

function hostRoute(host: string, domain: string): HostRoute | undefined {
  const h = host.replace(/:\d+$/, '').replace(/\.$/, '');
  const suffix = `.${domain.toLowerCase()}`;
  if (!h.endsWith(suffix)) return undefined;
  const labels = h.slice(0, -suffix.length).split('.');
  if (labels.length === 1 && labels[0]) return { name: labels[0] };
  if (labels.length === 2 && labels[0] && labels[1]) return { name: labels[0], namespace: labels[1] };
  return undefined;
}
