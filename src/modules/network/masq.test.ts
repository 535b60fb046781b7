// The masquerade leaves frames alone that are only bridged through the host: two namespaces on a
// bridge of their own, inside the masqueraded subnet, still see each other's own address. With
// br_netfilter loaded such frames pass the host's nat hooks (issue 19's pod-to-pod failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installMasq, removeMasq } from './masq.js';

const rootWithIptables = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('iptables', ['-w', '5', '-t', 'nat', '-S'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// Without br_netfilter bridged frames never meet iptables, and the test would prove nothing.
const skip = !rootWithIptables ? 'needs root and iptables' : !existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables') ? 'br_netfilter not loaded' : false;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
/** For the cleanup: what was never made is fine. */
const quietIp = (...args: string[]) => {
  try {
    ip(...args);
  } catch {
    // not there
  }
};

/** A one-shot HTTP server in `netns` that answers with the peer address it saw; resolves once listening. */
function peerEcho(netns: string, port: number) {
  const code = `require('http').createServer((q, s) => { s.end(q.socket.remoteAddress); setImmediate(() => process.exit(0)); }).listen(${port}, () => console.log('up'));`;
  const p = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (c) => reject(new Error(`echo server exited (${c})`)));
  });
  return { listening, stop: () => p.kill('SIGKILL') };
}

test('frames bridged through the host keep their source address under the masquerade', { skip, timeout: 60_000 }, async () => {
  const id = String(process.pid % 10000);
  const bridge = `lmqb${id}`;
  const masqBridge = `lmqx${id}`; // the masquerading daemon's own bridge (it need not exist)
  const [a, b] = [`lmq-a-${id}`, `lmq-b-${id}`];
  const echo = { stop: (): unknown => undefined };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('link', 'set', bridge, 'up');
    for (const [ns, addr] of [[a, '10.231.81.2'], [b, '10.231.81.3']] as const) {
      ip('netns', 'add', ns);
      ip('link', 'add', `${ns.slice(4)}h`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', `${ns.slice(4)}h`, 'master', bridge, 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // A host daemon masquerading a subnet that holds both namespaces' addresses.
    await installMasq(masqBridge, '10.231.0.0/16');
    const server = peerEcho(b, 8081);
    echo.stop = server.stop;
    await server.listening;
    const seen = execFileSync('ip', ['netns', 'exec', a, process.execPath, '-e', "fetch('http://10.231.81.3:8081').then((r) => r.text()).then((t) => process.stdout.write(t))"], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(seen.replace(/^::ffff:/, ''), '10.231.81.2', 'the server sees the client\'s own address');
  } finally {
    echo.stop();
    await removeMasq(masqBridge);
    for (const ns of [a, b]) quietIp('netns', 'del', ns);
    quietIp('link', 'del', bridge);
  }
});
