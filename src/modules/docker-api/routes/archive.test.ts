import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFileMode } from './archive.js';
import { updateLimits } from './containers.js';

test('Unix modes become Go os.FileMode bits (what the docker CLI tests)', () => {
  assert.equal(goFileMode(0o100644), 0o644); // a regular file: permission bits only
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755); // ModeDir
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777); // ModeSymlink
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755); // setuid
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777); // sticky dir (/tmp)
});

test('docker update bodies map onto the runtime limits; an unsupported non-zero field is named', () => {
  // The CLI sends every field, zero when unset.
  assert.deepEqual(updateLimits({ Memory: 100663296, MemorySwap: 0, NanoCpus: 5e8, CpuShares: 0, BlkioWeight: 0, RestartPolicy: { Name: '', MaximumRetryCount: 0 } }), { memory: 100663296, cpus: 0.5 });
  assert.deepEqual(updateLimits({ CpuQuota: 50000, CpuPeriod: 100000 }), { cpus: 0.5 });
  assert.deepEqual(updateLimits({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }), { restart: { name: 'on-failure', maxRetries: 3 } });
  assert.throws(() => updateLimits({ BlkioWeight: 300 }), /BlkioWeight is not supported by LLMOS/);
  assert.throws(() => updateLimits({ Memory: 'lots' }), /Memory must be a number/);
});
