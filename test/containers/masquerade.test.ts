// The bridge's outbound NAT is one shared rule set per bridge (network/masq.ts), kept with the
// bridge guard, instead of CNI's per-container ipMasq chain (9 iptables processes on every start,
// 5 on every removal). A container still reaches a host outside the bridge with the host's
// address as its source, no per-container nat rule exists, and the rule goes with the last
// container when the daemon stops.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { masqChain } from '../../src/modules/network/masq.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);
const bridge = 'llmosm0';
const cniName = 'llmosm';
const ns = `h18m${process.pid % 10000}`;
const veth = `vm${process.pid % 10000}`;
const natRules = async () => (await run('iptables', ['-w', '5', '-t', 'nat', '-S'])).stdout.split('\n');

describe('shared masquerade of the bridge', { skip, concurrency: false }, () => {
  let reg: TestRegistry | undefined;
  let d: TestDaemon | undefined;
  let dataDir = '';
  let listener: ChildProcess | undefined;

  after(async () => {
    listener?.kill('SIGKILL');
    if (d) await d.finish();
    await reg?.stop();
    await run('ip', ['link', 'del', veth]).catch(() => undefined);
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(path.join('/var/lib/cni/networks', cniName), { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a container reaches a host off the bridge as the host, with no nat rule of its own; the rule goes with the daemon', async () => {
    // A test host behind the host's own link (not the bridge): it only sees the container if NAT works.
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['addr', 'add', '10.231.77.1/24', 'dev', veth]);
    await run('ip', ['link', 'set', veth, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', '10.231.77.2/24', 'dev', 'eth0']);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const seen: string[] = [];
    const script = "require('net').createServer((s)=>{console.log(s.remoteAddress);s.resume()}).listen(8080,'10.231.77.2',()=>console.log('ready'))";
    listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    listener.stdout!.on('data', (b: Buffer) => seen.push(...b.toString().split('\n').filter(Boolean)));
    await until('the test host listens', async () => seen.includes('ready'), 20_000, 50);

    reg = await startRegistry();
    const image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-masq-'));
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge, subnet: '10.231.78.0/24', name: cniName } } }));
    d = await startDaemon({ dataDir });
    const r = await d.cli(['run', '-d', '--name', 'client', image, 'sh', '-c', 'echo hi | nc 10.231.77.2 8080; sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    const ip = await until('the container has an address', async () => {
      const i = (await d!.api<{ ip?: string }>('GET', '/v1/containers/client')).body;
      return i.ip;
    });
    assert.match(ip, /^10\.231\.78\./);
    await until('the test host saw a connection', async () => seen.length > 1, 20_000, 50);
    assert.equal(seen[1], '10.231.77.1', 'the source is the host address on that link, not the container address');

    const tagged = (await natRules()).filter((l) => l.includes(`llmos-${daemonTag(dataDir)}-`));
    assert.deepEqual(tagged, [], 'no per-container nat chain or rule');
    const rules = await natRules();
    assert.ok(rules.includes(`-N ${masqChain(bridge)}`), 'the shared chain is there');
    assert.ok(rules.some((l) => l.startsWith('-A POSTROUTING -s 10.231.78.0/24 ') && l.endsWith(`-j ${masqChain(bridge)}`)), rules.join('\n'));

    assert.equal((await d.cli(['rm', '-f', 'client'])).code, 0);
    await d.finish();
    d = undefined;
    assert.ok(!(await natRules()).some((l) => l.includes(masqChain(bridge))), 'the shared chain went with the last container');
  });
});
