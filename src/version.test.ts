import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LLMOS_VERSION } from './version.js';
import { LLMOS_VERSION as kernelVersion } from './kernel/kernel.js';

test('the version is package.json\'s, and the kernel reports the same one', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(LLMOS_VERSION, pkg.version);
  assert.equal(kernelVersion, pkg.version);
});
