import { test } from 'node:test';
import assert from 'node:assert/strict';
import { references } from './image-gc.js';
import type { StoredImage } from './stored-image.js';

test('gc keeps config, manifest and layer blobs of every image, and the snapshots of images and root filesystems', () => {
  const image = { id: 'sha256:cfg', digest: 'sha256:man', blobs: [{ mediaType: 'l', digest: 'sha256:l1', size: 1 }], chainIds: ['sha256:c1'] } as unknown as StoredImage;
  const refs = references([image], [{ chain: ['sha256:c1', 'sha256:old'] }]);
  assert.deepEqual([...refs.blobs].sort(), ['sha256:cfg', 'sha256:l1', 'sha256:man']);
  assert.deepEqual([...refs.snapshots].sort(), ['sha256:c1', 'sha256:old']);
  assert.deepEqual(references([], []), { blobs: new Set(), snapshots: new Set() });
});
