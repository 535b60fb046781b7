import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelArgs, parseTaintArgs } from './cluster.js';
import { parseJoinToken } from '../../contracts/cluster.js';

test('node label: k=v sets, k- removes, anything else is refused', () => {
  assert.deepEqual(parseLabelArgs(['tier=gold', 'llmos.io/zone=z1', 'old-', 'empty=']), { tier: 'gold', 'llmos.io/zone': 'z1', old: null, empty: '' });
  assert.throws(() => parseLabelArgs(['novalue']), /use KEY=VALUE to set or KEY- to remove/);
  assert.throws(() => parseLabelArgs(['=v']), /invalid label/);
});

test('node taint: key[=value]:Effect adds, key- removes', () => {
  assert.deepEqual(parseTaintArgs(['gpu=yes:NoSchedule', 'spot:PreferNoSchedule', 'old-']), {
    addTaints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }, { key: 'spot', effect: 'PreferNoSchedule' }],
    removeTaints: ['old'],
  });
  assert.deepEqual(parseTaintArgs(['gpu:NoSchedule-']), { removeTaints: ['gpu'] });
  assert.throws(() => parseTaintArgs(['gpu=yes']), /use KEY\[=VALUE\]:NoSchedule/);
  assert.throws(() => parseTaintArgs(['gpu:Sometimes']), /invalid taint/);
});

test('join tokens: K10<64 hex>::<id>.<secret>, nothing else', () => {
  const hash = 'a'.repeat(64);
  assert.deepEqual(parseJoinToken(`K10${hash}::0123456789ab.${'s'.repeat(32)}`), { caHash: hash, id: '0123456789ab', secret: 's'.repeat(32) });
  assert.equal(parseJoinToken(`K10${hash.slice(1)}::0123456789ab.${'s'.repeat(32)}`), undefined);
  assert.equal(parseJoinToken(`K10${hash}::0123456789ab.short`), undefined);
  assert.equal(parseJoinToken(`K10${hash}:0123456789ab.${'s'.repeat(32)}`), undefined);
  assert.equal(parseJoinToken(`K10${hash.toUpperCase()}::0123456789ab.${'s'.repeat(32)}`), undefined);
});
