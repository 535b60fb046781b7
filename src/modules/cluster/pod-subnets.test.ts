import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockCursor, blockKey, heldBlocks, rangeBlock, subnetBlocks } from './pod-subnets.js';

test('a subnet holds one index key per /24 it covers; a smaller one per /30 and needs its /24 free; larger than a /17 is refused', () => {
  assert.deepEqual(subnetBlocks('10.89.4.0/24'), { keys: ['/cluster/pod-subnets/10.89.4.0'], absent: [], probes: ['/cluster/pod-subnets/10.89.4.'] });
  assert.deepEqual(subnetBlocks('10.89.3.128/28'), { keys: ['128', '132', '136', '140'].map((d) => `/cluster/pod-subnets/10.89.3.${d}/30`), absent: ['/cluster/pod-subnets/10.89.3.0'], probes: [] });
  assert.deepEqual((subnetBlocks('10.90.0.0/23') as { keys: string[] }).keys, ['/cluster/pod-subnets/10.90.0.0', '/cluster/pod-subnets/10.90.1.0']);
  const k17 = subnetBlocks('10.0.0.0/17');
  assert.ok('keys' in k17 && k17.keys.length === 128 && k17.keys[127] === blockKey((10 << 24) + 127 * 256));
  const big = subnetBlocks('10.0.0.0/16');
  assert.ok('error' in big && /larger than a \/17/.test(big.error));
  assert.ok('error' in subnetBlocks('10.89.1.0'));
  assert.deepEqual(heldBlocks(undefined), []);
  assert.deepEqual(heldBlocks('nonsense'), []);
});

test('the cursor probes the range from where it stopped, skips the range\'s first /24, and makes one lap at most', () => {
  assert.equal(rangeBlock(0), undefined);
  assert.equal(rangeBlock(1), '10.89.1.0/24');
  assert.equal(rangeBlock(256), undefined);
  const c = new BlockCursor('10.89.0.0/22');
  assert.deepEqual([...c.candidates()], ['10.89.1.0/24', '10.89.2.0/24', '10.89.3.0/24']);
  const it = c.candidates();
  assert.equal(it.next().value, '10.89.1.0/24');
  // The next allocation starts after the block handed out, even while the first one is in flight.
  assert.deepEqual([...c.candidates()], ['10.89.2.0/24', '10.89.3.0/24', '10.89.1.0/24']);
  assert.deepEqual([...new BlockCursor('10.89.0.0/24').candidates()], []);
});
