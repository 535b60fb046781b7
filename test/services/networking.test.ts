// End to end: service networking with a real daemon, runc replicas, dnsmasq and nftables. A
// service's ClusterIP and name answer from another container, Kubernetes env vars are set, a
// headless Service's name follows a scale from 1 to 3 and back, host ports go through kernel
// DNAT (the daemon is not in the path: traffic flows while it is down), and a deleted service
// leaves no rule, record or address behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import type { ServiceStatus } from '../../src/contracts/services.js';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : !existsSync('/usr/sbin/nft') ? 'nft missing' : false);

const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo "replica $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

const sh = (cmd: string, args: string[]): Promise<string> => new Promise((resolve) => execFile(cmd, args, (err, stdout) => resolve(err ? '' : stdout)));

/** The addresses busybox nslookup printed for the name (after the server's own lines). */
function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('service networking end to end', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let port: number;
  let client = '';
  let clientId = '';
  let dataDir = '';

  const inspect = async (name: string): Promise<ServiceStatus> => {
    const r = await d.api<ServiceStatus>('GET', `/v1/services/${name}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const converged = (name: string, n: number) =>
    until(`${name} to have ${n} ready replicas`, async () => {
      const s = await inspect(name);
      return s.readyReplicas === n && s.replicaStatus.length === n && s.replicaStatus.every((r) => r.ready) && s;
    });
  const exec = async (cmd: string) => {
    const r = await d.cli(['exec', client, 'sh', '-c', cmd]);
    return r.stdout;
  };
  const clusterIp = async (name: string) => (await inspect(name)).network?.find((n) => n.service === name)?.clusterIp;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon();
    dataDir = d.dataDir;
    port = await freePort();
  });

  after(async () => {
    if (d) {
      const { body } = await d.api<{ services: ServiceStatus[] }>('GET', '/v1/services').catch(() => ({ body: { services: [] } }));
      for (const s of body.services ?? []) await d.cli(['service', 'rm', s.name]);
      await d.cli(['delete', '-f', '-'], { input: headless });
      await untilNoLeaks(d.dataDir);
      await d.stop();
    }
    await reg?.stop();
  });

  const headless = ['apiVersion: v1', 'kind: Service', 'metadata: {name: nweb-pods}', 'spec:', '  clusterIP: None', '  selector: {llmos.io/service: nweb}', '  ports: [{port: 80}]', ''].join('\n');

  test('a ClusterIP and a name per service, answered from another container, with env vars', async () => {
    assert.equal((await d.cli(['service', 'create', 'nweb', '--image', image, '--replicas', '1', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', ...httpdCmd])).code, 0);
    await converged('nweb', 1);
    const ip = await until('a ClusterIP for web', () => clusterIp('nweb'));
    assert.match(ip, /^10\.96\.\d+\.\d+$/);
    // Created after web: its replica gets web's Kubernetes env vars.
    assert.equal((await d.cli(['service', 'create', 'nclient', '--image', image, '--replicas', '1', '--', 'sleep', '3600'])).code, 0);
    ({ name: client, id: clientId } = (await converged('nclient', 1)).replicaStatus[0]!);
    const env = await exec('env');
    assert.match(env, new RegExp(`^NWEB_SERVICE_HOST=${ip.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(env, /^NWEB_SERVICE_PORT=80$/m);
    assert.match(env, new RegExp(`^NWEB_PORT=tcp://${ip.replace(/\./g, '\\.')}:80$`, 'm'));
    const resolv = await exec('cat /etc/resolv.conf');
    assert.match(resolv, /^nameserver 10\.89\.0\.1$/m);
    assert.match(resolv, /^search default\.svc\.llmos\.local svc\.llmos\.local llmos\.local$/m);
    assert.match(resolv, /^options ndots:5$/m);
    // The names resolve to the ClusterIP, and the ClusterIP answers.
    for (const n of ['nweb', 'nweb.default', 'nweb.default.svc.llmos.local']) assert.deepEqual(addresses(await exec(`nslookup ${n}`)), [ip], n);
    const page = await exec(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80`);
    assert.match(page, /replica [0-9a-f]{12}/);
    // Container names resolve too.
    const web = (await inspect('nweb')).replicaStatus[0]!;
    assert.deepEqual(addresses(await exec(`nslookup ${web.name}`)), [web.ip]);
  });

  test('the host port goes through kernel DNAT, and inspect shows the rules with packet counters', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /replica/);
    const s = await inspect('nweb');
    const rules = s.network?.find((n) => n.service === 'nweb')?.rules ?? [];
    assert.ok(rules.some((x) => x.rule === `hostport ${port}` && x.packets > 0), JSON.stringify(rules));
    assert.ok(rules.some((x) => x.rule.startsWith('endpoint ') && x.packets > 0), JSON.stringify(rules));
    const text = await d.cli(['service', 'inspect', 'nweb']);
    assert.match(text.stdout, /CLUSTER IP/);
    assert.match(text.stdout, new RegExp(`hostport ${port}\\s+\\d+`));
    const table = await sh('nft', ['list', 'table', 'ip', `llmos-${daemonTag(dataDir)}-svc`]);
    assert.match(table, /numgen random mod 1/);
  });

  test('a headless Service answers with the ready replicas, following a scale from 1 to 3 and back', async () => {
    const a = await d.cli(['apply', '-f', '-'], { input: headless });
    assert.equal(a.code, 0, a.stderr);
    const ipsOf = async () => (await inspect('nweb')).replicaStatus.filter((r) => r.ready).map((r) => r.ip!).sort();
    await until('nweb-pods to name the one replica', async () => JSON.stringify(addresses(await exec('nslookup nweb-pods'))) === JSON.stringify(await ipsOf()));
    assert.equal((await d.cli(['scale', 'nweb', '3'])).code, 0);
    await converged('nweb', 3);
    // Within a second of the replicas being ready (the records follow readiness, not the reconcile loop).
    const three = await ipsOf();
    await until('nweb-pods to name three replicas', async () => JSON.stringify(addresses(await exec('nslookup nweb-pods'))) === JSON.stringify(three) && true, 3000, 100);
    assert.equal((await d.cli(['scale', 'nweb', '1'])).code, 0);
    await converged('nweb', 1);
    const one = await ipsOf();
    await until('nweb-pods back to one replica', async () => JSON.stringify(addresses(await exec('nslookup nweb-pods'))) === JSON.stringify(one) && true, 3000, 100);
  });

  test('traffic flows while the daemon is down, and a restart reconciles the rules', async () => {
    const ip = (await clusterIp('nweb'))!;
    await d.stop({ keepData: true });
    // The daemon is gone; the kernel still balances the ClusterIP (from the client's network namespace) and the host port.
    const page = await new Promise<string>((resolve) => {
      const p = execFile('ip', ['netns', 'exec', `llmos-${daemonTag(dataDir)}-${clientId}`, '/bin/busybox', 'nc', '-w', '3', ip, '80'], (_e, out) => resolve(out));
      p.stdin!.end('GET / HTTP/1.0\r\n\r\n');
    });
    assert.match(page, /replica/);
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    d = await startDaemon({ dataDir });
    await converged('nweb', 1);
    assert.equal(await until('the same ClusterIP after the restart', () => clusterIp('nweb')), ip);
    await until('the names answer again', async () => addresses(await exec('nslookup nweb')).includes(ip));
  });

  test('a deleted service leaves no rule, record or address', async () => {
    const ip = (await clusterIp('nweb'))!;
    assert.equal((await d.cli(['service', 'rm', 'nweb'])).code, 0);
    assert.equal((await d.cli(['delete', '-f', '-'], { input: headless })).code, 0);
    const tag = daemonTag(dataDir);
    await until('web gone from the rules, the names and the leases', async () => {
      const table = await sh('nft', ['list', 'table', 'ip', `llmos-${tag}-svc`]);
      const hosts = await readFile(`/run/llmos/dns/llmos0/hosts.d/${tag}`, 'utf8').catch(() => '');
      const leases = await readdir('/var/lib/cni/networks/llmos-services').catch(() => [] as string[]);
      return !table.includes('svc-default-nweb') && !/\bnweb\b/.test(hosts.replace(/nweb-pods/g, '')) && !hosts.includes('nweb-pods') && !leases.includes(ip);
    });
    assert.deepEqual(addresses(await exec('nslookup nweb.default.svc.llmos.local')), []);
  });
});
