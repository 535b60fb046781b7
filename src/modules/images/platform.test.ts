import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatform, selectManifest } from './platform.js';

const d = (architecture: string, variant?: string) => ({ mediaType: 'm', digest: `sha256:${architecture}${variant ?? ''}`, size: 1, platform: { os: 'linux', architecture, variant } });

test('selectManifest picks the platform, defaulting to linux/amd64', () => {
  const ms = [d('arm', 'v7'), d('arm64', 'v8'), d('amd64')];
  assert.equal(selectManifest(ms, parsePlatform(undefined)).digest, 'sha256:amd64');
  assert.equal(selectManifest(ms, parsePlatform('linux/arm64')).digest, 'sha256:arm64v8');
  assert.equal(selectManifest(ms, parsePlatform('linux/arm/v7')).digest, 'sha256:armv7');
  assert.throws(() => selectManifest(ms, parsePlatform('linux/s390x')), /no image for platform linux\/s390x/);
  assert.throws(() => parsePlatform('linux'), /OS\/ARCH/);
});
