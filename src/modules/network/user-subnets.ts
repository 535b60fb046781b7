// Subnets of user networks, claimed host-wide: one file per subnet in a shared directory (default
// /run/llmos/user-networks), created with O_EXCL, so two daemons never take the same one. A subnet
// never overlaps the default bridge, the service CIDR, another claim or a route the host already has.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExists, InvalidArgument, ResourceExhausted } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { validateSubnet } from './cni-network.js';
import { runCommand } from './iptables.js';

export interface SubnetClaim {
  subnet: string;
  gateway: string;
  /** Daemon tag and network id of the owner. */
  tag: string;
  id: string;
  bridge: string;
}

export interface Range {
  base: number;
  prefix: number;
}

const toNum = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

export function range(cidr: string): Range {
  const [ip, p] = cidr.split('/');
  const prefix = p === undefined ? 32 : Number(p);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (toNum(ip!) & mask) >>> 0, prefix };
}

const size = (r: Range): number => 2 ** (32 - r.prefix);
export const overlaps = (a: Range, b: Range): boolean => a.base < b.base + size(b) && b.base < a.base + size(a);

function validIpv4(ip: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** Checks a requested subnet and gateway; returns the normalised subnet and the gateway (default: the first address). */
export function checkSubnet(subnet: string, gateway?: string): { subnet: string; gateway: string } {
  const s = validateSubnet(subnet);
  if (s.prefix > 28 || s.prefix < 16) throw new InvalidArgument(`subnet ${subnet}: use a prefix between /16 and /28`);
  const r = range(s.network);
  const priv = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(range);
  if (!priv.some((p) => p.base <= r.base && r.base + size(r) <= p.base + size(p))) throw new InvalidArgument(`subnet ${subnet} is not in a private range (10/8, 172.16/12, 192.168/16)`);
  if (gateway === undefined) return { subnet: s.network, gateway: s.gateway };
  if (!validIpv4(gateway)) throw new InvalidArgument(`gateway ${gateway} is not an IPv4 address`);
  const g = toNum(gateway);
  if (g <= r.base || g >= r.base + size(r) - 1) throw new InvalidArgument(`gateway ${gateway} is not a host address of ${s.network}`);
  return { subnet: s.network, gateway };
}

/** Destinations of the host's IPv4 routes (what a new bridge must not shadow). */
async function hostRoutes(): Promise<Range[]> {
  const r = await runCommand('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  if (r.code !== 0) return [];
  const out: Range[] = [];
  for (const e of JSON.parse(r.stdout || '[]') as Array<{ dst?: string; type?: string }>) {
    if (!e.dst || e.dst === 'default' || e.type === 'broadcast' || e.dst.startsWith('127.')) continue;
    if (e.type === 'local') continue; // the host's own addresses are covered by their subnet routes
    out.push(range(e.dst));
  }
  return out;
}

export class SubnetClaims {
  constructor(
    private readonly dir: string,
    /** Never handed out: the default bridge, the service CIDR. */
    private readonly reserved: readonly string[],
    /** Where subnets come from when none is asked for: its /24s in order. */
    private readonly pool: string,
  ) {}

  private file(subnet: string): string {
    return path.join(this.dir, subnet.replace('/', '_') + '.json');
  }

  async all(): Promise<SubnetClaim[]> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    const out: SubnetClaim[] = [];
    for (const f of files) {
      try {
        out.push(JSON.parse(await readFile(path.join(this.dir, f), 'utf8')) as SubnetClaim);
      } catch {
        /* half-written by a crash: its owner re-claims or removes it */
      }
    }
    return out;
  }

  /** Takes `want` (or the next free /24 of the pool) for the owner; an existing claim of the same owner is returned. */
  async claim(owner: { tag: string; id: string; bridge: string }, want?: { subnet: string; gateway?: string }): Promise<SubnetClaim> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const claims = await this.all();
    const mine = claims.find((c) => c.tag === owner.tag && c.id === owner.id);
    if (mine) return mine;
    const taken = [...this.reserved.map(range), ...claims.map((c) => range(c.subnet)), ...(await hostRoutes())];
    const candidates: Array<{ subnet: string; gateway: string }> = [];
    if (want) {
      const s = checkSubnet(want.subnet, want.gateway);
      const clash = taken.find((t) => overlaps(t, range(s.subnet)));
      if (clash) throw new AlreadyExists(`subnet ${s.subnet} overlaps ${toIp(clash.base)}/${clash.prefix}, already in use on this host`);
      candidates.push(s);
    } else {
      const p = range(this.pool);
      for (let b = p.base; b < p.base + size(p); b += 256) {
        const r = { base: b, prefix: 24 };
        if (!taken.some((t) => overlaps(t, r))) candidates.push({ subnet: `${toIp(b)}/24`, gateway: toIp(b + 1) });
      }
      if (!candidates.length) throw new ResourceExhausted(`no free /24 left in the user-network pool ${this.pool}: remove a network or give --subnet`);
    }
    for (const c of candidates) {
      const claim: SubnetClaim = { ...c, ...owner };
      faultPoint('network.user.claim');
      try {
        await writeFile(this.file(c.subnet), JSON.stringify(claim), { flag: 'wx', mode: 0o644 });
        return claim;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (want) throw new AlreadyExists(`subnet ${c.subnet} is already used by another network on this host`);
      }
    }
    throw new ResourceExhausted(`no free /24 left in the user-network pool ${this.pool}`);
  }

  async release(subnet: string): Promise<void> {
    faultPoint('network.user.release');
    await rm(this.file(subnet), { force: true });
  }
}
