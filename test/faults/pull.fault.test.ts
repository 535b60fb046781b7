// Crash consistency of `pull`: a real daemon pulling a two-layer image from a real registry is
// SIGKILLed at each marked step (config blob, blob download, commit to the content store, unpack
// into a temp snapshot, snapshot commit, manifest, image record), N = 1..last. After each, a fresh
// daemon on the same data dir lists no half-written image, a prune leaves no temp snapshot, partial
// download, scratch file or mount under the data dir, and the same pull then succeeds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = registrySkipReason();
let reg: TestRegistry;
let ref: string;
let tmp: string;

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-pull-fault-'));
  reg = await startRegistry();
  ref = (await pushBusyboxImage(reg, 'faulty', { files: { 'app/hello': 'hi' } })).ref;
});

after(async () => {
  if (skip) return;
  await reg?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** Mount points at or under dir (field 5 of mountinfo, octal escapes decoded). */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')));
}

async function ls(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** The images module's own directory under the data dir. */
async function imagesDir(dataDir: string): Promise<string> {
  const mods = path.join(dataDir, 'modules');
  const name = (await ls(mods)).find((n) => n.includes('images'));
  assert.ok(name, `an images module dir under ${mods}: ${(await ls(mods)).join(', ')}`);
  return path.join(mods, name);
}

async function pull(d: TestDaemon): Promise<{ status: number; body: { repoTags?: string[]; error?: string } }> {
  return d.api('POST', '/v1/images/pull', { ref });
}

test('pull survives a SIGKILL at every step: nothing half-written is listed, prune leaves nothing, the pull is redone', { skip, timeout: 15 * 60_000 }, async () => {
  const trace = path.join(tmp, 'trace');
  const t = await startDaemon({ env: { LLMOS_FAULT_TRACE: trace, LLMOS_FAULT_SCOPE: 'images.pull' } });
  try {
    const r = await pull(t);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  } finally {
    await t.stop();
  }
  const steps = (await readFile(trace, 'utf8')).trim().split('\n');
  for (const s of ['config', 'blob', 'commit', 'unpack', 'snapshot', 'manifest', 'record']) assert.ok(steps.includes(`images.pull.${s}`), `step images.pull.${s} is marked (${steps.join(' ')})`);
  console.log(`# pull fault steps (${steps.length}): ${steps.join(' ')}`);

  for (let n = 1; n <= steps.length; n++) {
    const d = await startDaemon({ env: { LLMOS_FAULT_SCOPE: 'images.pull', LLMOS_FAULT_KILL_AT: String(n) } });
    let again: TestDaemon | undefined;
    try {
      const killed = await pull(d).then((r) => `answered ${r.status}`, () => 'connection lost');
      await until(`daemon killed at step ${n}`, async () => d.proc.signalCode ?? d.proc.exitCode !== null, 30_000, 50);
      assert.equal(d.proc.signalCode, 'SIGKILL', `killed at step ${n} (${steps[n - 1]}); the pull ${killed}`);

      again = await startDaemon({ dataDir: d.dataDir });
      const list = await again.api<{ images: Array<{ repoTags: string[] }> }>('GET', '/v1/images');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.images, [], `no half-written image is listed after a kill at ${steps[n - 1]}`);
      const pruned = await again.api('POST', '/v1/images/prune');
      assert.equal(pruned.status, 200);
      const dir = await imagesDir(d.dataDir);
      assert.deepEqual((await ls(path.join(dir, 'snapshots'))).filter((x) => x.startsWith('.tmp-')), [], 'no temp snapshot');
      assert.deepEqual(await ls(path.join(dir, 'snapshots')), [], 'no snapshot without an image');
      assert.deepEqual(await ls(path.join(dir, 'ingest')), [], 'no partial download or put file');
      assert.deepEqual(await ls(path.join(dir, 'tmp')), [], 'no scratch file');
      assert.deepEqual(await ls(path.join(dir, 'blobs', 'sha256')), [], 'no blob without an image');
      assert.deepEqual(await mountsUnder(d.dataDir), [], 'no mount under the data dir');

      const redo = await pull(again);
      assert.equal(redo.status, 200, `the pull is redone after a kill at ${steps[n - 1]}: ${JSON.stringify(redo.body)}`);
      assert.ok(redo.body.repoTags?.includes(ref));
      const inspect = await again.api<{ layers: string[] }>('GET', `/v1/images/inspect?ref=${encodeURIComponent(ref)}`);
      assert.equal(inspect.status, 200);
      assert.equal(inspect.body.layers.length, 2);
      assert.equal((await ls(path.join(dir, 'snapshots'))).length, 2, 'both layer snapshots are there');
      assert.ok((await stat(path.join(dir, 'snapshots'))).isDirectory());
    } finally {
      await again?.stop({ keepData: true });
      await d.stop();
    }
  }
});
