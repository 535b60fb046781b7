import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSubnet, overlaps, range } from './user-subnets.js';
import { isolationScript } from './user-net-rules.js';

test('checkSubnet: private /16../28 only, gateway a host address of it, normalised', () => {
  assert.deepEqual(checkSubnet('10.91.3.7/24'), { subnet: '10.91.3.0/24', gateway: '10.91.3.1' });
  assert.deepEqual(checkSubnet('192.168.50.0/24', '192.168.50.254'), { subnet: '192.168.50.0/24', gateway: '192.168.50.254' });
  for (const [s, g, re] of [['8.8.8.0/24', undefined, /private range/], ['10.0.0.0/8', undefined, /prefix/], ['10.1.0.0/24', '10.1.0.255', /host address/], ['10.1.0.0/24', '10.1.1.1', /host address/], ['10.1.0.0/24', 'x', /IPv4/], ['nope', undefined, /CIDR/]] as const) assert.throws(() => checkSubnet(s, g), re, `${s} ${g}`);
});

test('overlaps: ranges that share an address', () => {
  assert.ok(overlaps(range('10.90.0.0/16'), range('10.90.7.0/24')));
  assert.ok(!overlaps(range('10.90.0.0/24'), range('10.90.1.0/24')));
  assert.ok(overlaps(range('10.91.7.128/25'), range('10.91.7.0/24')));
});

test('isolationScript: same-bridge traffic returns first; internal drops both ways; DNS answers its own bridge only', () => {
  const s = isolationScript('abcd1234', 'llmos0', [{ bridge: 'llmosuA', gateway: '10.90.0.1', internal: false }, { bridge: 'llmosuB', gateway: '10.90.1.1', internal: true }]).split('\n');
  const f = s.filter((l) => l.startsWith('-A LLMOS-UNF-abcd1234'));
  assert.match(f[0]!, /-i llmosuA -o llmosuA .* -j RETURN/);
  assert.match(f[1]!, /-i llmosuB -o llmosuB .* -j RETURN/);
  assert.ok(f.some((l) => /-i llmosuA -o llmosu\+ .* -j DROP/.test(l)));
  assert.ok(f.some((l) => /-i llmos0 -o llmosuA .* -j DROP/.test(l)));
  assert.ok(f.some((l) => /-i llmosuB .*internal.* -j DROP/.test(l)) && f.some((l) => /-o llmosuB .*internal.* -j DROP/.test(l)));
  assert.ok(s.every((l) => !l.startsWith('-A') || l.includes('llmos-abcd1234-')), 'every rule names the daemon for the leak checker');
  const i = s.filter((l) => l.startsWith('-A LLMOS-UNI-abcd1234'));
  assert.ok(i.findIndex((l) => /-i llmosuA -d 10\.90\.0\.1\/32 .* RETURN/.test(l)) < i.findIndex((l) => /-d 10\.90\.0\.1\/32 -p udp .*--dport 53 .* DROP/.test(l)));
});
