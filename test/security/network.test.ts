// Finding 3 of issue 13: containers reached host loopback services. portmap's snat sets
// route_localnet=1 on the bridge, so a container that forges a frame to 127.0.0.1 (with
// CAP_NET_RAW, which containers had by default) reached the API, the gateway and a function's
// secret. Real daemon, real CNI bridge (its own name and subnet), real forged frames from a
// container process; the listeners run on the host's loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { guardChain, guardInstalled } from '../../src/modules/network/guard.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { poolEntries } from '../support/leaks.js';
import { freePort } from '../support/registry.js';
import { until } from '../support/until.js';
import { buildProbeRootfs, importProbeImage, probeSkipReason, removeDir, runcRootOf } from './probe-image.js';

const run = promisify(execFile);
const skip = probeSkipReason();
const bridge = 'llmosec0';
const subnet = '10.231.7.0/24';
const gatewayIp = '10.231.7.1';
const cniName = 'llmosec';

interface Info {
  id: string;
  ip?: string;
}

describe('container network isolation', { skip }, () => {
  let d: TestDaemon;
  let dataDir: string;
  let buildDir: string;
  let image: string;
  let runcRoot: string;

  before(async () => {
    const built = await buildProbeRootfs();
    buildDir = built.dir;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-netsec-'));
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge, subnet, name: cniName } } }));
    d = await startDaemon({ dataDir });
    image = await importProbeImage(d, built.tar);
    runcRoot = await runcRootOf(d);
  });

  after(async () => {
    if (d) {
      await d.cli(['rm', '-f', 'web', 'attacker']);
      await d.stop();
    }
    await rm(dataDir, { recursive: true, force: true });
    await removeDir(buildDir);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(path.join('/var/lib/cni/networks', cniName), { recursive: true, force: true });
  });

  const inspect = async (name: string): Promise<Info> => {
    const r = await d.cli(['inspect', name]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Info[])[0]!;
  };

  /** Runs a probe in the container with CAP_NET_RAW added, as an image granted it would. */
  const withNetRaw = async (id: string, args: string[]): Promise<string> => {
    const { stdout } = await run('runc', ['--root', runcRoot, 'exec', '--cap', 'CAP_NET_RAW', id, ...args], { timeout: 20_000 });
    return stdout;
  };

  test('forged frames to 127.0.0.1 from a container with NET_RAW reach nothing on host loopback; published ports and the gateway still work', async () => {
    const hostPort = await freePort();
    const web = await d.cli(['run', '-d', '--name', 'web', '-p', `${hostPort}:80`, image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    assert.equal(web.code, 0, web.stderr);
    // Published ports answer on the host, on 127.0.0.1 too (that is what sets route_localnet).
    const page = await until('the published port', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`);
      return res.ok ? res.text() : undefined;
    }, 30_000, 100);
    assert.equal(page, 'published-port-ok\n');
    assert.equal((await readFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8')).trim(), '1', 'the attack needs route_localnet on the bridge');
    assert.ok(await guardInstalled(bridge), `${guardChain(bridge)} is in the raw table`);
    const health = await fetch(`${d.gateway}/healthz`);
    assert.equal(health.status, 200, 'the function gateway answers on the host');

    // Listeners on host loopback (where the API and gateway live) and a control on the bridge gateway address.
    const got: string[] = [];
    const udpLo = dgram.createSocket('udp4');
    const udpGw = dgram.createSocket('udp4');
    const tcpLo = net.createServer((s) => s.on('data', (b) => got.push(`tcp ${b.toString()}`)));
    udpLo.on('message', (m) => got.push(`udp-lo ${m.toString()}`));
    udpGw.on('message', (m) => got.push(`udp-gw ${m.toString()}`));
    await new Promise<void>((r) => udpLo.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => udpGw.bind(0, gatewayIp, r));
    await new Promise<void>((r) => tcpLo.listen(0, '127.0.0.1', r));
    const port = (s: { address(): unknown }) => (s.address() as net.AddressInfo).port;
    try {
      const att = await d.cli(['run', '-d', '--name', 'attacker', image, 'sleep', '600']);
      assert.equal(att.code, 0, att.stderr);
      const { id, ip } = await until('the attacker is running with an address', async () => {
        const i = await inspect('attacker');
        return i.ip ? i : undefined;
      });
      // A normal packet first, so the host has the attacker in its neighbour table (its ARP for a
      // 127.0.0.1 source would go unanswered) and could send its SYN-ACK back.
      assert.match(await withNetRaw(id, ['/probe/rawsend', 'udpsock', gatewayIp, String(port(udpGw)), 'hello']), /udpsock sent/);
      await until('the ordinary datagram on the gateway address', async () => got.includes('udp-gw hello'), 10_000, 50);
      const mac = (await readFile(`/sys/class/net/${bridge}/address`, 'utf8')).trim();
      const udp = await withNetRaw(id, ['/probe/rawsend', 'udp', 'eth0', ip!, mac, '127.0.0.1', String(port(udpLo)), 'secret-please']);
      assert.match(udp, /udp sent/);
      const tcp = await withNetRaw(id, ['/probe/rawsend', 'tcp', 'eth0', ip!, mac, '127.0.0.1', String(port(tcpLo)), 'GET /secret HTTP/1.0\r\n\r\n']);
      assert.match(tcp, /syn sent\nno syn-ack/, 'the host never answered the forged SYN');
      // The control goes the same way after them: once it is in, the earlier frames were handled.
      const ctl = await withNetRaw(id, ['/probe/rawsend', 'udp', 'eth0', ip!, mac, gatewayIp, String(port(udpGw)), 'control']);
      assert.match(ctl, /udp sent/);
      await until('the control datagram on the gateway address', async () => got.includes('udp-gw control'), 10_000, 50);
      assert.deepEqual(got, ['udp-gw hello', 'udp-gw control'], 'nothing reached the loopback listeners');
    } finally {
      udpLo.close();
      udpGw.close();
      tcpLo.close();
    }
  });

  test('containers have no NET_RAW by default: raw and packet sockets are refused, ping of the gateway works through ICMP sockets', async () => {
    const probe = await d.cli(['run', '--rm', image, '/probe/rawsend', 'probe']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stdout, 'raw EPERM\npacket EPERM\n');
    // ping over an ICMP datagram socket (as iputils' ping does), as root and as nobody. busybox's
    // ping insists on a raw socket, so it needs NET_RAW granted; that is the price of the default.
    for (const user of [[], ['--user', 'nobody']]) {
      const ping = await d.cli(['run', '--rm', ...user, image, '/probe/rawsend', 'ping', gatewayIp]);
      assert.equal(ping.code, 0, `ping ${user.join(' ')}: ${ping.stdout}${ping.stderr}`);
      assert.equal(ping.stdout, 'ping reply\n');
    }
    // The sysctl is per netns: set in a container's own namespace, never written to the host's.
    const none = await d.cli(['run', '--rm', '--network', 'none', image, 'cat', '/proc/sys/net/ipv4/ping_group_range']);
    assert.equal(none.stdout.trim().split(/\s+/).join(' '), '0 2147483647', none.stderr);
    const hostBefore = await readFile('/proc/sys/net/ipv4/ping_group_range', 'utf8');
    const host = await d.cli(['run', '--rm', '--network', 'host', image, 'cat', '/proc/sys/net/ipv4/ping_group_range']);
    assert.equal(host.code, 0, host.stderr);
    assert.equal(host.stdout, hostBefore);
    assert.equal(await readFile('/proc/sys/net/ipv4/ping_group_range', 'utf8'), hostBefore);
  });

  test('the guard goes when the module stops with no container left on the bridge', async () => {
    assert.equal((await d.cli(['rm', '-f', 'web', 'attacker'])).code, 0);
    // Only the network namespace pool's free entries stay plugged in (they go at stop).
    await until('the bridge has no container ports', async () => (await readdirSafe(`/sys/class/net/${bridge}/brif`)).length === (await poolEntries(dataDir)).length, 20_000, 100);
    assert.ok(await guardInstalled(bridge));
    await d.stop({ keepData: true });
    assert.equal(await guardInstalled(bridge), false, 'no LLMOS chain left in the raw table');
    const { stdout } = await run('iptables', ['-w', '5', '-t', 'raw', '-S']);
    assert.ok(!stdout.includes(guardChain(bridge)), stdout);
    // Boot installs it again, before any container is adopted.
    d = await startDaemon({ dataDir });
    assert.ok(await guardInstalled(bridge));
  });
});

const readdirSafe = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);
