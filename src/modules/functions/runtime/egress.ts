// Where a function's fetch may go, and the fetch that goes there. Public addresses are allowed (as
// on workerd); loopback, private, link-local, CGNAT, multicast, reserved ranges and their IPv6
// equivalents are denied unless the function was deployed with `--allow-net host:port`. Names are
// resolved first and every resolved address is checked inside the connection's own lookup, so the
// connection goes to a checked address (no DNS rebinding between check and connect); each
// redirect hop is checked again. A response body past the cap fails that fetch only.
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Agent } from 'undici';

export interface EgressPolicy {
  /** `host:port` entries the function was deployed with (host lowercase, IPv6 in brackets). */
  allow: readonly string[];
  /** Largest response body of one fetch, bytes. */
  maxResponseBytes: number;
  /** The gateway hop count of the calling request, sent on as x-llmos-hops (the function cannot lower it). */
  hops?: () => number;
  /** Ports of the daemon's own listeners (API, gateway): refused on this machine's addresses unless listed. */
  ownPorts?: readonly number[];
}

/** This machine's interface addresses, read once a minute at most (they rarely change). */
let local: { at: number; set: Set<string> } | undefined;
function localAddresses(): Set<string> {
  if (!local || Date.now() - local.at > 60_000) {
    const set = new Set<string>(['0.0.0.0', '::']);
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) set.add(a.address.toLowerCase());
    local = { at: Date.now(), set };
  }
  return local.set;
}

// Two lists: a BlockList holding IPv6 ranges also matches IPv4 addresses by their mapped form.
const denied = new BlockList();
const denied6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const)
  denied.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 maps v4 (could be a private one)
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds a v4 address
  ['fc00::', 7], // ULA
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  denied6.addSubnet(net, bits, 'ipv6');

/** The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:a.b.c.d or ::ffff:XXXX:XXXX). */
function mappedV4(ip: string): string | undefined {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(ip);
  if (!m) return undefined;
  if (isIP(m[1]!) === 4) return m[1];
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(m[1]!);
  if (!hex) return undefined;
  const a = parseInt(hex[1]!, 16);
  const b = parseInt(hex[2]!, 16);
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** True when `ip` (an IP literal, no brackets) is a public unicast address. Pure. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !denied.check(ip, 'ipv4');
  if (family !== 6) return false;
  const v4 = mappedV4(ip);
  if (v4) return !denied.check(v4, 'ipv4');
  return !denied6.check(ip, 'ipv6');
}

const defaultPort = (u: URL): string => u.port || (u.protocol === 'https:' ? '443' : '80');

/** The `host:port` key of a URL, as allow entries are written. */
export const hostPort = (u: URL): string => `${u.hostname.toLowerCase()}:${defaultPort(u)}`;

/** Normalizes one `--allow-net` entry to `host:port`; throws a message for a bad one. Pure. */
export function normalizeAllowEntry(entry: string): string {
  let u: URL;
  try {
    u = new URL(`http://${entry.trim()}`);
  } catch {
    throw new Error(`allow-net entry "${entry}" must be HOST:PORT`);
  }
  const explicit = /:(\d{1,5})$/.exec(entry.trim());
  if (!explicit || u.pathname !== '/' || u.search || u.username || u.password || Number(explicit[1]) < 1 || Number(explicit[1]) > 65535) throw new Error(`allow-net entry "${entry}" must be HOST:PORT with a port from 1 to 65535`);
  return `${u.hostname.toLowerCase()}:${explicit[1]}`;
}

/** Whether a connection to `address` for `url` is allowed. Pure. */
export function addressAllowed(url: URL, address: string, policy: EgressPolicy): boolean {
  if (policy.allow.includes(hostPort(url))) return true;
  const lit = address.includes(':') ? `[${address}]` : address;
  if (policy.allow.includes(`${lit.toLowerCase()}:${defaultPort(url)}`)) return true;
  if (policy.ownPorts?.includes(Number(defaultPort(url))) && localAddresses().has(address.toLowerCase())) return false;
  return isPublicAddress(address);
}

const deniedMessage = (url: URL, address: string) =>
  `fetch: ${url.hostname}${address && address !== url.hostname.replace(/^\[|\]$/g, '') ? ` (${address})` : ''} is a private, loopback or reserved address: deploy the function with --allow-net ${hostPort(url)} to reach it`;

/** Throws a TypeError (a failed fetch for the function) when `url` is refused before any lookup. */
export function checkUrl(url: URL, policy: EgressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`fetch: unsupported scheme ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !addressAllowed(url, host, policy)) throw new TypeError(deniedMessage(url, host));
}

/** A dispatcher whose connections resolve names through the policy: only checked addresses are dialled. */
function agentFor(AgentClass: typeof Agent, url: URL, policy: EgressPolicy): Agent {
  const lookup: LookupFunction = (hostname, options, cb) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addrs) => {
      if (err) return cb(err, []);
      const bad = addrs.find((a) => !addressAllowed(url, a.address, policy));
      // Every address must pass: a name answering one public and one private address is refused.
      if (bad || !addrs.length) return cb(Object.assign(new Error(deniedMessage(url, bad?.address ?? '')), { code: 'EGRESS_DENIED' }), []);
      if (options.all) cb(null, addrs);
      else cb(null, addrs[0]!.address, addrs[0]!.family);
    });
  };
  return new AgentClass({ connect: { lookup }, connections: 4, pipelining: 0 });
}

function deepest(e: unknown): { message?: string; code?: string } | undefined {
  let c = e as { message?: string; code?: string; cause?: unknown } | undefined;
  while (c?.cause) c = c.cause as typeof c;
  return c;
}

/** The request headers a function's fetch sends: its own, with the gateway hop count it cannot lower. */
export function egressHeaders(headers: [string, string][], policy: EgressPolicy): [string, string][] {
  const out = headers.filter(([k]) => k.toLowerCase() !== 'x-llmos-hops');
  const hops = policy.hops?.() ?? 0;
  if (hops > 0) out.push(['x-llmos-hops', String(hops)]);
  return out;
}

/**
 * One hop of a function's fetch under its policy: the URL is checked, then every address its
 * name resolves to (inside the connection's own lookup, so the connection goes to a checked
 * address: no DNS rebinding). Redirects are the caller's (host/fetch.ts checks each hop here).
 * `close` releases the connection once the body is read or cancelled. Errors are TypeErrors the
 * function may see.
 */
export async function egressRequest(url: URL, init: { method: string; headers: [string, string][]; body: ArrayBuffer | Uint8Array | null; signal: AbortSignal }, policy: EgressPolicy): Promise<{ res: Response; close: () => void }> {
  checkUrl(url, policy);
  // undici loads on a function's first fetch: the daemon imports this file for egressPolicy only.
  const undici = await import('undici');
  const agent = agentFor(undici.Agent, url, policy);
  const close = () => void agent.close().catch(() => undefined);
  try {
    const res = await undici.fetch(url, { method: init.method, headers: init.headers, body: init.body ?? undefined, redirect: 'manual', signal: init.signal, dispatcher: agent });
    return { res: res as unknown as Response, close };
  } catch (e) {
    close();
    const d = deepest(e);
    throw new TypeError(d?.code === 'EGRESS_DENIED' ? d.message! : `fetch ${url.origin} failed: ${d?.message ?? String(e)}`, { cause: e });
  }
}
