import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostportCleanupScript, idsInRules, purgeScript } from './iptables.js';
import { validateSubnet } from './cni-network.js';

const hostport = [
  '-N CNI-HOSTPORT-DNAT',
  '-N CNI-HOSTPORT-MASQ',
  '-N CNI-HOSTPORT-SETMARK',
  '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
  '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
  '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
  '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
  '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
];
const dnat = '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"llmos\\" id: \\"llmos-t-abc\\"" -m multiport --dports 8080 -j CNI-DN-0123abcd';

test('hostport chains go only when no mapping uses them, jumps first', () => {
  assert.equal(hostportCleanupScript([...hostport, '-N CNI-DN-0123abcd', dnat]), undefined);
  assert.equal(hostportCleanupScript(['-P PREROUTING ACCEPT']), undefined);
  assert.deepEqual(hostportCleanupScript(hostport)!.split('\n'), [
    '*nat',
    '-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
    '-D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
    '-D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    '-F CNI-HOSTPORT-MASQ',
    '-F CNI-HOSTPORT-SETMARK',
    '-X CNI-HOSTPORT-DNAT',
    '-X CNI-HOSTPORT-MASQ',
    '-X CNI-HOSTPORT-SETMARK',
    'COMMIT',
    '',
  ]);
});

test('a container\'s rules are found by the id in their comment', () => {
  const rules = [...hostport, '-N CNI-DN-0123abcd', dnat];
  assert.deepEqual([...idsInRules(rules)], ['llmos-t-abc']);
  assert.equal(purgeScript(rules, 'llmos-t-other'), undefined);
  assert.deepEqual(purgeScript(rules, 'llmos-t-abc')!.split('\n').slice(1, 4), [dnat.replace(/^-A/, '-D'), '-F CNI-DN-0123abcd', '-X CNI-DN-0123abcd']);
});

test('subnets: network address, gateway, sane prefixes', () => {
  assert.deepEqual(validateSubnet('10.89.3.7/16'), { network: '10.89.0.0/16', prefix: 16, gateway: '10.89.0.1' });
  assert.throws(() => validateSubnet('10.89.0.0/30'), /between/);
  assert.throws(() => validateSubnet('300.1.1.1/16'), /not an IPv4 CIDR/);
});
