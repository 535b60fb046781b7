import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podRoutes, rulesScript } from './cluster-rules.js';
import { choosePodSubnet } from '../../contracts/network.js';

const map = (nodes: Array<[string, string, string]>, self = 'h1') => ({ self, nodes: nodes.map(([name, address, podSubnet]) => ({ name, address, podSubnet })), services: [] });

test('routes: every other node\'s subnet via its address, never one overlapping a local subnet', () => {
  const m = map([['h1', '10.200.1.101', '10.89.1.0/24'], ['h3', '::ffff:10.200.1.103', '10.89.3.0/24'], ['h2', '10.200.1.102', '10.89.2.7/24'], ['s', '10.200.1.1', '10.88.0.0/16'], ['x', 'nope', '10.89.9.0/24']]);
  const r = podRoutes(m, ['10.89.1.0/24', '10.88.5.0/24']);
  assert.deepEqual(r.routes, [{ subnet: '10.89.2.0/24', via: '10.200.1.102' }, { subnet: '10.89.3.0/24', via: '10.200.1.103' }]);
  assert.equal(r.skipped.length, 2); // s overlaps a local subnet; x has no IPv4 address
});

test('rules: no masquerade between pod subnets, forwarding both ways; without an own subnet only inbound', () => {
  const s = rulesScript('abcd1234', '10.89.1.0/24', [{ subnet: '10.89.3.0/24', via: '10.200.1.103' }]);
  assert.match(s, /^\*nat\n:llmos-abcd1234-cluster - \[0:0\]\n-A llmos-abcd1234-cluster -s 10\.89\.1\.0\/24 -d 10\.89\.3\.0\/24 .* -j ACCEPT\nCOMMIT\n\*filter/);
  assert.equal(s.match(/-j ACCEPT/g)?.length, 3);
  const none = rulesScript('abcd1234', undefined, [{ subnet: '10.89.3.0/24', via: '10.200.1.103' }]);
  assert.equal(none.match(/-j ACCEPT/g)?.length, 1);
});

test('pod subnets: the asked one unless it overlaps another node\'s; else the first free /24 (not the range\'s first)', () => {
  assert.deepEqual(choosePodSubnet('10.89.4.9/24', [{ node: 'h1', subnet: '10.89.1.0/24' }]), { subnet: '10.89.4.0/24' });
  const clash = choosePodSubnet('10.89.0.0/16', [{ node: 'h1', subnet: '10.89.1.0/24' }]);
  assert.ok('error' in clash && /overlaps node h1's 10\.89\.1\.0\/24/.test(clash.error));
  assert.deepEqual(choosePodSubnet(undefined, [{ node: 'h1', subnet: '10.89.1.0/24' }, { node: 'h2', subnet: '10.89.3.0/25' }]), { subnet: '10.89.2.0/24' });
  assert.ok('error' in choosePodSubnet('10.89.1.0', []));
  const full = Array.from({ length: 256 }, (_, i) => ({ node: `n${i}`, subnet: `10.89.${i}.0/24` }));
  assert.ok('error' in choosePodSubnet(undefined, full));
});
