import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { guardInstalled, removeGuard } from './guard.js';
import { GuardKeeper } from './guard-keeper.js';
import { releaseGuard } from './guarded.js';
import { installMasq, masqChain, masqInstalledIn, natTable, removeMasq } from './masq.js';

const hasIptables = (() => {
  try {
    execFileSync('iptables', ['-w', '5', '-t', 'raw', '-S'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();
const skip = hasIptables ? false : 'needs root and iptables';
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });

test('the guard keeper checks iptables once, again after another daemon removed the guard, and when the check is old', { skip }, async () => {
  const bridge = `llmosgk${process.pid % 10000}`;
  let t = 0;
  const k = new GuardKeeper(bridge, undefined, 30_000, () => t);
  try {
    await Promise.all(Array.from({ length: 10 }, () => k.ensure()));
    for (let i = 0; i < 10; i++) await k.ensure();
    assert.equal(k.checks, 1, 'twenty attaches, one iptables check');
    assert.ok(await guardInstalled(bridge));
    // Another daemon sharing the bridge stopped with the bridge empty: the next attach must see it.
    assert.equal(await releaseGuard(bridge), 'removed');
    assert.equal(await guardInstalled(bridge), false);
    await k.ensure();
    assert.equal(k.checks, 2);
    assert.ok(await guardInstalled(bridge), 'installed again before the container joins');
    // removeGuard alone (a user network's bridge going) moves the epoch too.
    await removeGuard(bridge);
    await k.ensure();
    assert.ok(await guardInstalled(bridge));
    // A change no daemon announced (a flush by hand) is repaired once the check is older than maxAge.
    execFileSync('iptables', ['-w', '5', '-t', 'raw', '-F', `LLMOS-GUARD-${bridge}`]);
    await k.ensure();
    assert.equal(await guardInstalled(bridge), false, 'within maxAge the cached check stands');
    t += 30_000;
    await k.ensure();
    assert.ok(await guardInstalled(bridge));
    assert.equal(k.checks, 4);
  } finally {
    await removeGuard(bridge);
    await rm(`/run/llmos/guard-${bridge}.epoch`, { force: true });
  }
});

test('releasing the guard keeps it while the bridge has a port', { skip }, async () => {
  const bridge = `llmosgr${process.pid % 10000}`;
  const veth = `gr${process.pid % 10000}`;
  const k = new GuardKeeper(bridge);
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
    ip('link', 'set', veth, 'master', bridge);
    await k.ensure();
    assert.equal(await releaseGuard(bridge), 'kept');
    assert.ok(await guardInstalled(bridge));
  } finally {
    execFileSync('ip', ['link', 'del', veth], { stdio: 'ignore' });
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    await removeGuard(bridge);
    await rm(`/run/llmos/guard-${bridge}.epoch`, { force: true });
  }
});

test('with a subnet the keeper installs the shared masquerade once, in order, and releasing removes it', { skip }, async () => {
  const bridge = `llmosgm${process.pid % 10000}`;
  const subnet = '10.231.79.0/24';
  const k = new GuardKeeper(bridge, subnet);
  try {
    await k.ensure();
    await k.ensure();
    assert.equal(k.checks, 1);
    const rules = await natTable();
    assert.ok(masqInstalledIn(rules, bridge, subnet), rules.join('\n'));
    // Installing again (another daemon's boot) adds nothing.
    const mine = (rs: string[]) => rs.filter((r) => r.includes(masqChain(bridge)));
    await installMasq(bridge, subnet);
    assert.deepEqual(mine(await natTable()), mine(rules));
    // A second daemon's keeper reads them through iptables-save: it finds them in place too.
    await new GuardKeeper(bridge, subnet).ensure();
    assert.deepEqual(mine(await natTable()), mine(rules));
    assert.equal(rules.filter((r) => r.includes(masqChain(bridge))).length, 6, 'the chain, its four rules and one jump');
    assert.equal(await releaseGuard(bridge, subnet), 'removed');
    assert.ok(!(await natTable()).some((r) => r.includes(masqChain(bridge))));
  } finally {
    await removeGuard(bridge);
    await removeMasq(bridge);
    await rm(`/run/llmos/guard-${bridge}.epoch`, { force: true });
  }
});
