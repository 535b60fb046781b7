// ClusterIPs: stable virtual addresses from the service CIDR, leased as files in a directory every
// LLMOS daemon on the host shares (as host-local IPAM does for container addresses), so two
// daemons never hand out the same address and a restarted daemon finds its own again. A lease
// file is named by the address and holds "llmos-TAG-svc NAMESPACE/NAME"; it is created with O_EXCL.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ResourceExhausted } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { validateSubnet } from './cni-network.js';

const toInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

export class ClusterIps {
  private readonly base: number;
  private readonly size: number;
  /** "NS/NAME" -> address, as leased by this daemon. */
  private readonly mine = new Map<string, string>();
  private loaded = false;
  /** The lease owner: named like the daemon's CNI ids, so the leak checker finds leftovers. */
  private readonly owner: string;

  constructor(private readonly dir: string, private readonly tag: string, cidr: string) {
    const s = validateSubnet(cidr);
    this.base = toInt(s.network.split('/')[0]!);
    this.size = 2 ** (32 - s.prefix);
    this.owner = `llmos-${tag}-svc`;
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    for (const f of await readdir(this.dir)) {
      const owner = (await readFile(path.join(this.dir, f), 'utf8').catch(() => '')).trim().split(' ');
      if (owner[0] === this.owner && owner[1]) this.mine.set(owner[1], f);
    }
    this.loaded = true;
  }

  current(): ReadonlyMap<string, string> {
    return this.mine;
  }

  /** Makes the leases exactly `keys` (keeping existing addresses); returns key -> address. */
  async sync(keys: readonly string[]): Promise<Map<string, string>> {
    await this.load();
    const want = new Set(keys);
    for (const [k, ip] of [...this.mine]) {
      if (want.has(k)) continue;
      faultPoint('network.services.clusterip-release');
      await rm(path.join(this.dir, ip), { force: true });
      this.mine.delete(k);
    }
    for (const k of keys) if (!this.mine.has(k)) this.mine.set(k, await this.lease(k));
    return new Map(this.mine);
  }

  private async lease(key: string): Promise<string> {
    // Start from a hash of the name, so a service tends to get the same address after a re-create.
    const start = createHash('sha256').update(`${this.tag}/${key}`).digest().readUInt32BE(0) % (this.size - 2);
    for (let i = 0; i < this.size - 2; i++) {
      const ip = toIp(this.base + 1 + ((start + i) % (this.size - 2)));
      try {
        faultPoint('network.services.clusterip-lease');
        const fh = await open(path.join(this.dir, ip), 'wx', 0o644);
        await fh.writeFile(`${this.owner} ${key}\n`);
        await fh.close();
        return ip;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new ResourceExhausted(`no free ClusterIP left in the service range for ${key}`);
  }
}
