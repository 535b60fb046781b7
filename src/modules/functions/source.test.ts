import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compileSource, pickEntry } from './source.js';

test('bundles relative imports from memory and strips types, whatever the cwd holds', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-src-'));
  const cwd = process.cwd();
  try {
    // A file of the same name in the cwd must not confuse the in-memory bundle.
    await writeFile(path.join(dir, 'index.ts'), 'throw new Error("wrong file")');
    process.chdir(dir);
    const out = await compileSource({ entry: 'index.ts', files: { 'index.ts': `import { x } from './lib/x';\nconst n: number = x;\nexport default { fetch: () => n };`, 'lib/x.ts': 'export const x: number = 42;' } });
    assert.match(out, /__llmos_mod/);
    assert.doesNotMatch(out, /wrong file|: number/);
  } finally {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  }
});

test('refuses package imports and names the file and line of a syntax error', async () => {
  await assert.rejects(compileSource({ entry: 'a.js', files: { 'a.js': `import fs from 'node:fs';\nexport default {};` } }), /functions bundle only relative imports/);
  await assert.rejects(compileSource({ entry: 'a.ts', files: { 'a.ts': `export default {\n  fetch( {` } }), /cannot build function code: a\.ts:2:/);
  await assert.rejects(compileSource({ entry: '../a.js', files: { '../a.js': '' } }), /must be relative and inside/);
});

test('pickEntry', () => {
  assert.equal(pickEntry(['lib/x.ts', 'index.ts']), 'index.ts');
  assert.equal(pickEntry(['handler.js']), 'handler.js');
  assert.throws(() => pickEntry(['a.ts', 'b.ts']), /name it index\.ts/);
});
