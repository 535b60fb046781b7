// Names for containers and services: one dnsmasq per bridge, listening on the bridge address and
// driven by a directory of hosts files (--hostsdir: dnsmasq re-reads a file within moments of it
// changing, and drops the records of a deleted one), one file per LLMOS daemon sharing the bridge
// (the approach of the CNI dnsname plugin). Other names go to the host's resolvers
// (/etc/resolv.conf). dnsmasq daemonizes, so names keep answering while a daemon restarts; every
// daemon on the bridge checks it each second and starts it again if it died. The last daemon to
// leave stops it and removes the directory.
import { Mutex } from 'async-mutex';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLUSTER_DOMAIN } from '../../contracts/network.js';
import { Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';

export interface DnsOptions {
  bridge: string;
  /** The bridge address: where dnsmasq listens and what containers get as their nameserver. */
  address: string;
  tag: string;
  /** Root of the per-bridge directories (default /run/llmos/dns). */
  root?: string;
  /** dnsmasq binary. */
  binary?: string;
}

/** A hosts-file line: an address and its names. */
export interface DnsRecord {
  ip: string;
  names: string[];
}

/** Names of a service: NAME.NS.svc.DOMAIN and NAME.NS always, bare NAME in the default namespace. */
export function serviceNames(namespace: string, name: string): string[] {
  return [`${name}.${namespace}.svc.${CLUSTER_DOMAIN}`, `${name}.${namespace}`, ...(namespace === 'default' ? [name] : [])];
}

export function hostsText(records: readonly DnsRecord[]): string {
  return records.map((r) => `${r.ip} ${r.names.join(' ')}`).join('\n') + '\n';
}

export class Dnsmasq {
  readonly dir: string;
  private readonly hostsDir: string;
  private readonly pidFile: string;
  private timer?: NodeJS.Timeout;
  private last = '';
  /** One write of the hosts file at a time (in call order): two would race on the same temporary file. */
  private readonly writing = new Mutex();

  constructor(private readonly o: DnsOptions) {
    this.dir = path.join(o.root ?? '/run/llmos/dns', o.bridge);
    this.hostsDir = path.join(this.dir, 'hosts.d');
    this.pidFile = path.join(this.dir, 'dnsmasq.pid');
  }

  get hostsFile(): string {
    return path.join(this.hostsDir, this.o.tag);
  }

  async pid(): Promise<number | undefined> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return undefined;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmd.includes('dnsmasq') && cmd.includes(this.dir) ? pid : undefined;
  }

  /** Starts dnsmasq unless it runs; then checks it every second (restarted if it died). */
  async start(): Promise<void> {
    // dnsmasq drops to nobody: the directory and files must be readable by it (names are not secret).
    await mkdir(this.hostsDir, { recursive: true, mode: 0o755 });
    await this.ensure();
    this.timer = setInterval(() => void this.ensure().catch(() => undefined), 1000);
    this.timer.unref();
  }

  private async ensure(): Promise<void> {
    if (await this.pid()) return;
    await mkdir(this.hostsDir, { recursive: true, mode: 0o755 });
    if (this.last) await this.writeFile(this.last);
    faultPoint('network.dns.start');
    const args = [
      '--conf-file=/dev/null',
      `--pid-file=${this.pidFile}`,
      `--listen-address=${this.o.address}`,
      // The bridge (and its address) appears with the first container: bind when it does.
      '--bind-dynamic',
      '--no-hosts',
      `--hostsdir=${this.hostsDir}`,
      // Names under the cluster domain are ours alone: unknown ones are NXDOMAIN, never forwarded.
      `--local=/${CLUSTER_DOMAIN}/`,
      '--domain-needed',
      '--local-ttl=1',
      '--user=nobody',
      '--group=nogroup',
      '--log-facility=-',
    ];
    const code = await new Promise<number>((resolve) => {
      const p = spawn(this.o.binary ?? 'dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', () => resolve(127));
      // 'exit', not 'close': the daemonized dnsmasq may keep the inherited stderr open.
      p.on('exit', (c) => {
        setTimeout(() => {
          if (c !== 0) this.lastError = err.trim();
          p.stderr.destroy();
          resolve(c ?? 1);
        }, 20);
      });
    });
    if (code !== 0 && !(await this.pid())) throw new Internal(`dnsmasq on ${this.o.address} did not start: ${this.lastError ?? `exit ${code}`}`);
  }

  lastError?: string;

  /** Replaces this daemon's records (atomically: written beside, renamed in). */
  async setRecords(records: readonly DnsRecord[]): Promise<void> {
    const text = hostsText(records);
    if (text === this.last) return;
    this.last = text;
    await this.writeFile(text);
  }

  private async writeFile(text: string): Promise<void> {
    await this.writing.runExclusive(async () => {
      faultPoint('network.dns.records');
      const tmp = path.join(this.dir, `.${this.o.tag}.tmp`);
      await writeFile(tmp, text, { mode: 0o644 });
      await rename(tmp, this.hostsFile);
    });
  }

  /** Stops watching dnsmasq and leaves it running with its records (the network outlives the daemon). */
  detach(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Removes this daemon's records; the last daemon on the bridge stops dnsmasq and removes the directory. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await rm(this.hostsFile, { force: true });
    const others = (await readdir(this.hostsDir).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));
    if (others.length) return;
    const pid = await this.pid();
    faultPoint('network.dns.stop');
    if (pid) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && (await this.pid()); i++) await new Promise((r) => setTimeout(r, 20));
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
