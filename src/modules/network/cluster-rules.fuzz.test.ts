// Any pod subnet text a joining agent may send, and any network map: choosePodSubnet answers a
// canonical subnet that overlaps no other node's (or one line of refusal), never throws; the
// routes a host keeps never overlap its own subnets or each other, and the rules script only
// ever names canonical CIDRs (nothing from the map reaches iptables-restore unparsed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalCidr, choosePodSubnet, cidrsOverlap } from '../../contracts/network.js';
import { podRoutes, rulesScript } from './cluster-rules.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES) || 0;
const runs = minutes ? { interruptAfterTimeLimit: minutes * 60_000, numRuns: Number.MAX_SAFE_INTEGER } : { numRuns: 4000 };

const octet = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(256, 999, -1));
const cidrText = fc.oneof(
  fc.tuple(fc.constantFrom(10, 10, 192, 172), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), octet, fc.integer({ min: 6, max: 32 })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
  fc.string({ maxLength: 24 }),
  fc.constantFrom('10.89.0.0/16', '10.89.1.0/24', ' 10.89.2.0/24', '10.89.3.0/24\n-A INPUT -j DROP', '0.0.0.0/0', '10.89.1.0/24 -j ACCEPT'),
);

test('fuzz: pod subnets chosen at join never overlap another node\'s', () => {
  let chosen = 0;
  let refused = 0;
  fc.assert(
    fc.property(fc.option(cidrText, { nil: undefined }), fc.array(fc.tuple(fc.string({ maxLength: 5 }), cidrText), { maxLength: 12 }), (asked, others) => {
      const taken = others.map(([node, s]) => ({ node, subnet: canonicalCidr(s) ?? '' })).filter((t) => t.subnet);
      const r = choosePodSubnet(asked, taken);
      if ('error' in r) {
        assert.ok(!r.error.includes('\n'));
        refused++;
        return;
      }
      chosen++;
      assert.equal(canonicalCidr(r.subnet), r.subnet);
      for (const t of taken) assert.ok(!cidrsOverlap(t.subnet, r.subnet), `${r.subnet} overlaps ${t.subnet}`);
    }),
    runs,
  );
  console.log(`pod subnets: ${chosen} chosen, ${refused} refused`);
});

test('fuzz: routes from any map avoid local subnets and each other; the rules name only canonical CIDRs', () => {
  let routed = 0;
  fc.assert(
    fc.property(fc.array(fc.record({ name: fc.constantFrom('h1', 'h2', 'h3', 'h4', 'x y', ''), address: fc.oneof(fc.constantFrom('10.200.1.2', '::ffff:10.200.1.3', 'evil; rm', ''), fc.ipV4()), podSubnet: cidrText }), { maxLength: 10 }), cidrText, (nodes, own) => {
      const local = canonicalCidr(own) ? [own] : [];
      const { routes } = podRoutes({ self: 'h1', nodes, services: [] }, local);
      routed += routes.length;
      for (const [i, r] of routes.entries()) {
        assert.equal(canonicalCidr(r.subnet), r.subnet);
        assert.match(r.via, /^\d+\.\d+\.\d+\.\d+$/);
        for (const l of local) assert.ok(!cidrsOverlap(l, r.subnet));
        for (const o of routes.slice(i + 1)) assert.ok(!cidrsOverlap(o.subnet, r.subnet));
      }
      const script = rulesScript('abcd1234', canonicalCidr(own), routes);
      for (const line of script.split('\n').filter((l) => l.startsWith('-A'))) for (const m of line.matchAll(/-[sd] (\S+)/g)) assert.equal(canonicalCidr(m[1]!), m[1]);
    }),
    runs,
  );
  console.log(`network maps: ${routed} routes kept`);
});
