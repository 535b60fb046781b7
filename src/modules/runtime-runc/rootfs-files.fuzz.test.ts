// Fuzz: random trees of symlinks (absolute, relative, `..` chains, links to links, links to a
// host canary and to devices) inside a root. Property: a lookup never resolves outside the root,
// never returns the canary's content, never hangs and never throws except the size refusal.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readFileInRoot, resolveInRoot } from './rootfs-files.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES ?? 0);
const runs = minutes > 0 ? { interruptAfterTimeLimit: minutes * 60_000, numRuns: Number.MAX_SAFE_INTEGER } : { numRuns: 300 };

let tmp: string;
let canary: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rootfs-fuzz-'));
  canary = path.join(tmp, 'canary');
  await writeFile(canary, 'CANARY');
});
after(() => rm(tmp, { recursive: true, force: true }));

const names = ['etc', 'passwd', 'group', 'a', 'b', '..', '.', 'x'];
const segment = fc.constantFrom(...names);
const relPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const target = fc.oneof(
  relPath,
  relPath.map((p) => '/' + p),
  fc.nat({ max: 12 }).map((n) => '../'.repeat(n) + 'canary'),
  fc.constant('CANARY_ABS'),
  fc.constantFrom('/dev/zero', '/dev/kmsg', '/proc/self/environ', '/', '..', '/..', 'a/../../..'),
);
const entry = fc.record({ at: relPath, kind: fc.constantFrom('dir', 'file', 'link', 'link'), target });

/**
 * Creates one entry without ever following a link: every parent must be a real directory made
 * here, and the entry itself must not exist yet (so the fuzz cannot write outside its tree).
 */
async function plantEntry(root: string, e: { at: string; kind: string; target: string }): Promise<void> {
  const parts = e.at.split('/').filter((c) => c !== '' && c !== '.' && c !== '..');
  if (!parts.length) return;
  let dir = root;
  for (const c of parts.slice(0, -1)) {
    dir = path.join(dir, c);
    const st = await lstat(dir).catch(() => undefined);
    if (!st) await mkdir(dir);
    else if (!st.isDirectory()) return;
  }
  const p = path.join(dir, parts.at(-1)!);
  if (await lstat(p).then(() => true, () => false)) return;
  if (e.kind === 'dir') await mkdir(p);
  else if (e.kind === 'file') await writeFile(p, 'inside', { flag: 'wx' });
  else await symlink(e.target === 'CANARY_ABS' ? canary : e.target, p);
}

let n = 0;
test('lookups inside a hostile tree never leave the root', { timeout: Math.max(120_000, minutes * 60_000 * 1.5) }, async () => {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 14 }), relPath, async (entries, lookup) => {
      cases++;
      const root = path.join(tmp, `r${n++}`, 'root');
      await mkdir(root, { recursive: true });
      for (const e of entries) await plantEntry(root, e);
      const resolved = await resolveInRoot(root, lookup);
      if (resolved !== undefined) assert.ok(resolved === root || resolved.startsWith(root + '/'), `${lookup} resolved to ${resolved}`);
      const text = await readFileInRoot(root, lookup);
      assert.ok(text === '' || text === 'inside', `read ${JSON.stringify(text.slice(0, 20))} for ${lookup}`);
      await rm(path.dirname(root), { recursive: true, force: true });
    }),
    runs,
  );
  assert.equal(await readFile(canary, 'utf8'), 'CANARY');
  console.log(`rootfs-files fuzz: ${cases} cases`);
});
