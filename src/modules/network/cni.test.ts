import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { execPlugin } from './cni.js';

test('a CNI plugin that never answers is killed at the deadline with a clear error', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-cni-'));
  try {
    await writeFile(path.join(dir, 'hang'), '#!/bin/sh\nexec sleep 600\n');
    await chmod(path.join(dir, 'hang'), 0o755);
    const started = Date.now();
    await assert.rejects(execPlugin(dir, 'ADD', { type: 'hang' }, { containerId: 'c', netns: '', ifName: 'eth0' }, 300), /CNI plugin hang ADD: no answer in 300 ms/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
