// The cluster CA in <data-dir>/ca (made with the `openssl` CLI on first need: node:crypto reads
// X.509 but cannot issue it), and the API's server certificate signed by it. Both HTTP edges and
// the cluster module use it: the API serves TLS with it off loopback, join tokens carry its hash.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FailedPrecondition, errorMessage } from './errors.js';

const run = promisify(execFile);

export const caDir = (dataDir: string): string => path.join(dataDir, 'ca');
export const caCertFile = (dataDir: string): string => path.join(caDir(dataDir), 'ca.crt');

/** The hash a join token carries (k3s' K10<hash>): sha256 of the CA certificate file's bytes, hex. */
export const caHash = (pem: string | Buffer): string => createHash('sha256').update(pem).digest('hex');

/** 127.0.0.0/8, ::1 and localhost: the API stays plain HTTP there, as before cluster mode. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new FailedPrecondition('the cluster CA needs the openssl command (apt-get install openssl)');
    throw new FailedPrecondition(`openssl ${args[0]} failed: ${(err.stderr ?? errorMessage(e)).trim().split('\n')[0]}`);
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Reads the cluster CA, creating it on first call (written to a temp dir, then renamed in whole). */
export async function ensureCa(dataDir: string): Promise<{ certPem: string; hash: string }> {
  const dir = caDir(dataDir);
  try {
    const certPem = await readFile(path.join(dir, 'ca.crt'), 'utf8');
    return { certPem, hash: caHash(certPem) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = await mkdtemp(path.join(dataDir, '.ca-'));
  try {
    const cn = `llmos-ca-${randomBytes(4).toString('hex')}`;
    await openssl(['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], tmp);
    await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST' && e.code !== 'ENOTEMPTY') throw e; // another caller made it first: keep theirs
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const certPem = await readFile(path.join(dir, 'ca.crt'), 'utf8');
  return { certPem, hash: caHash(certPem) };
}

/** The names a server certificate for `host` covers: the host itself, or every local address for a wildcard. */
export function serverNames(host: string): { ips: string[]; dns: string[] } {
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const dns = new Set<string>(['localhost', os.hostname()]);
  if (host === '0.0.0.0' || host === '::' || host === '') {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ''));
  } else if (/^[\d.]+$/.test(host) || host.includes(':')) ips.add(host);
  else dns.add(host);
  return { ips: [...ips], dns: [...dns] };
}

/** A new EC key and a certificate for `subject` with extensions `ext`, signed by the cluster CA. */
async function signedByCa(dataDir: string, subject: string, ext: string, days: number): Promise<{ key: string; cert: string; serial: string; caPem: string }> {
  const { certPem } = await ensureCa(dataDir);
  const dir = caDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(path.join(dir, '.cert-'));
  try {
    const serial = randomBytes(8).toString('hex').toUpperCase();
    await writeFile(path.join(tmp, 'ext.cnf'), ext);
    await openssl(['req', '-new', ...ecKey, '-keyout', 'cert.key', '-out', 'cert.csr', '-subj', subject], tmp);
    await openssl(['x509', '-req', '-in', 'cert.csr', '-CA', path.join(dir, 'ca.crt'), '-CAkey', path.join(dir, 'ca.key'), '-set_serial', `0x${serial}`, '-days', String(days), '-extfile', 'ext.cnf', '-out', 'cert.crt'], tmp);
    const [key, cert] = await Promise.all([readFile(path.join(tmp, 'cert.key'), 'utf8'), readFile(path.join(tmp, 'cert.crt'), 'utf8')]);
    return { key, cert, serial, caPem: certPem };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A fresh key and certificate for the API, signed by the cluster CA (made at each boot, for the current addresses). */
export async function serverTls(dataDir: string, host: string): Promise<{ key: string; cert: string; ca: string }> {
  const { ips, dns } = serverNames(host);
  const san = [...ips.map((i) => `IP:${i}`), ...dns.map((d) => `DNS:${d}`)].join(',');
  const { key, cert, caPem } = await signedByCa(dataDir, '/CN=llmos-api', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`, 825);
  if (!new X509Certificate(cert).verify(new X509Certificate(caPem).publicKey)) throw new FailedPrecondition('the new API certificate does not verify against the cluster CA');
  return { key, cert, ca: caPem };
}

/** A client certificate for `cn` (its MQTT username), signed by the cluster CA: key, cert, and its serial and expiry. */
export async function clientCert(dataDir: string, cn: string, days = 825): Promise<{ key: string; cert: string; serial: string; notAfter: string }> {
  const { key, cert, serial } = await signedByCa(dataDir, `/CN=${cn}`, 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n', days);
  return { key, cert, serial, notAfter: new X509Certificate(cert).validTo };
}

/** openssl's index.txt time: YYMMDDHHMMSSZ. */
const indexTime = (d: Date): string => d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');

/**
 * A CRL of the cluster CA revoking `revoked` (serials in hex), written to `out`. `openssl ca -gencrl`
 * reads revocations from an index file, so one is written for the call from the list given
 * (the caller's store is the record of what was revoked).
 */
export async function writeCrl(dataDir: string, revoked: Array<{ serial: string; notAfter: string; revokedAt: number; cn: string }>, out: string): Promise<void> {
  await ensureCa(dataDir);
  const dir = caDir(dataDir);
  const tmp = await mkdtemp(path.join(dir, '.crl-'));
  try {
    const index = revoked.map((r) => `R\t${indexTime(new Date(r.notAfter))}\t${indexTime(new Date(r.revokedAt))}\t${r.serial}\tunknown\t/CN=${r.cn}\n`).join('');
    await writeFile(path.join(tmp, 'index.txt'), index);
    await writeFile(path.join(tmp, 'crlnumber'), `${Date.now().toString(16).toUpperCase().padStart(16, '0')}\n`);
    await writeFile(path.join(tmp, 'ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 3650\n`);
    await openssl(['ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', path.join(dir, 'ca.key'), '-cert', path.join(dir, 'ca.crt'), '-out', 'crl.pem'], tmp);
    await rename(path.join(tmp, 'crl.pem'), out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
