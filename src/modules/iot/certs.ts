// TLS for the managed broker, from the node's cluster CA (kernel/cluster-ca.ts): the broker's own
// certificate, device client certificates (the CN is the device name, which mosquitto takes as
// the username, so the same ACL applies), and the CRL that revokes a replaced or removed
// device's certificate. Revocations are kept in the state store (/iot/revoked/SERIAL); the CRL
// file is rebuilt from them at each start and change. On an edge node the broker also trusts the
// cluster CA (and its CRL) the server sent: the server issues its devices' certificates. The broker
// reads trust-ca.pem and trust-crl.pem (this node's CA and CRL, then the cluster's).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StateStore } from '../../contracts/state-store.js';
import { caCertFile, clientCert, serverTls, writeCrl } from '../../kernel/cluster-ca.js';
import { replaceFile } from '../../kernel/replace-file.js';

const REVOKED = '/iot/revoked/';

export interface BrokerTlsFiles {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

/** The cluster CA and its CRL (PEM), as an edge node got them from the server. */
export interface ClusterTrust {
  ca: string;
  crl: string;
}

interface Revoked {
  serial: string;
  cn: string;
  notAfter: string;
  revokedAt: number;
}

export class DeviceCerts {
  constructor(
    private readonly store: StateStore,
    private readonly dataDir: string,
    private readonly dir: string,
  ) {}

  private cluster?: ClusterTrust | null;

  get files(): BrokerTlsFiles & { trustCa: string; trustCrl: string; clusterTrust: string } {
    const d = this.dir;
    return { ca: caCertFile(this.dataDir), cert: path.join(d, 'server.crt'), key: path.join(d, 'server.key'), crl: path.join(d, 'crl.pem'), trustCa: path.join(d, 'trust-ca.pem'), trustCrl: path.join(d, 'trust-crl.pem'), clusterTrust: path.join(d, 'cluster-trust.json') };
  }

  /** The broker's key and certificate (for `host`'s addresses) and the CRL, written before it starts: the files its listeners name. */
  async writeBrokerFiles(host: string): Promise<BrokerTlsFiles> {
    const f = this.files;
    const { key, cert } = await serverTls(this.dataDir, host);
    await writeFile(f.key, key, { mode: 0o600 });
    await writeFile(f.cert, cert, { mode: 0o600 });
    await this.writeCrl();
    return { ca: f.trustCa, cert: f.cert, key: f.key, crl: f.trustCrl };
  }

  /** The cluster's CA and CRL from the server (kept for restarts while cut off); true when they changed (the broker must reload). */
  async setClusterTrust(t: ClusterTrust): Promise<boolean> {
    const old = await this.clusterTrust();
    if (old?.ca === t.ca && old.crl === t.crl) return false;
    await replaceFile(this.files.clusterTrust, JSON.stringify(t));
    this.cluster = t;
    await this.writeTrust();
    return true;
  }

  private async clusterTrust(): Promise<ClusterTrust | undefined> {
    this.cluster ??= await readFile(this.files.clusterTrust, 'utf8').then((j) => JSON.parse(j) as ClusterTrust, () => null);
    return this.cluster ?? undefined;
  }

  /** This node's CA and CRL, then the cluster's: OpenSSL checks a certificate against its own issuer's CRL. */
  private async writeTrust(): Promise<void> {
    const f = this.files;
    const c = await this.clusterTrust();
    const own = await Promise.all([readFile(f.ca, 'utf8'), readFile(f.crl, 'utf8')]).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined; // the broker has not started yet: writeBrokerFiles writes them
      throw e;
    });
    if (!own) return;
    const [ca, crl] = own;
    const join = (a: string, b?: string) => (b ? `${a.trimEnd()}\n${b.trimEnd()}\n` : a);
    await replaceFile(f.trustCa, join(ca, c?.ca));
    await replaceFile(f.trustCrl, join(crl, c?.crl));
  }

  /** The cluster CA and this server's CRL, for its edge nodes (undefined before the CRL is written). */
  async trustForNodes(): Promise<ClusterTrust | undefined> {
    const f = this.files;
    return Promise.all([readFile(f.ca, 'utf8'), readFile(f.crl, 'utf8')]).then(([ca, crl]) => ({ ca, crl }), () => undefined);
  }

  async issue(name: string): Promise<{ key: string; cert: string; serial: string; notAfter: string }> {
    return clientCert(this.dataDir, name);
  }

  /** Revokes a certificate (its serial and expiry from the device record) and rewrites the CRL. */
  async revoke(cn: string, serial: string, notAfter: string, now = Date.now()): Promise<void> {
    await this.store.put(REVOKED + serial, { serial, cn, notAfter, revokedAt: now } satisfies Revoked);
    await this.writeCrl(now);
  }

  private async writeCrl(now = Date.now()): Promise<void> {
    const all = (await this.store.list<Revoked>(REVOKED)).items.map((e) => e.value);
    // An expired certificate is refused by its date: its revocation need not be kept.
    const live = all.filter((r) => Date.parse(r.notAfter) > now);
    for (const r of all) if (!live.includes(r)) await this.store.delete(REVOKED + r.serial);
    await writeCrl(this.dataDir, live, this.files.crl);
    await this.writeTrust();
  }
}
