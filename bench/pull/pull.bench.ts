// bench/pull: pull + unpack from a local docker-registry of (a) busybox and (b) a generated image
// of ~200 MB in thousands of files, by LLMOS vs `skopeo copy` + `umoci unpack` vs plain
// `tar -xzf` of the same layer, in the same run. Prints medians and ratios.
//   npx tsc -p . && node dist/bench/pull/pull.bench.js [--runs 3] [--mb 200] [--cpu-prof]
// With --cpu-prof, the first LLMOS pull of the big image runs under V8's CPU profiler (node:inspector,
// in this process, where ImageService runs) and its summary is printed (bench/profile-summary.ts).
import { execFile } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SqliteStore } from '../../src/modules/state-store/sqlite-store.js';
import { BlobStore } from '../../src/modules/images/blob-store.js';
import { SnapshotStore } from '../../src/modules/images/snapshots.js';
import { RootfsManager } from '../../src/modules/images/rootfs.js';
import { RegistryClient } from '../../src/modules/images/registry-client.js';
import { ImageService } from '../../src/modules/images/image-service.js';
import { MT } from '../../src/modules/images/media-types.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../../test/support/registry.js';
import { summarizeProfile } from '../profile-summary.js';

const run = promisify(execFile);
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 3);
const CPU_PROF = process.argv.includes('--cpu-prof');
const MB = arg('mb', 200);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  // Flush the previous run's dirty pages first, so no tool pays for another's writeback.
  await run('sync');
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** A tree of ~mb MB in ~thousands of files: text-like, partly compressible, deterministic. */
async function generateTree(root: string, mb: number): Promise<number> {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const words = Array.from({ length: 4096 }, (_, i) => i.toString(36) + Math.floor(rnd() * 1e9).toString(36));
  let total = 0;
  let files = 0;
  for (let d = 0; total < mb * 2 ** 20; d++) {
    const dir = path.join(root, `usr/share/pkg${d % 60}/sub${d}`);
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 40 && total < mb * 2 ** 20; f++) {
      // Sizes from 1 KB to ~200 KB, like a distribution's files.
      const size = Math.floor(1024 * Math.exp(rnd() * 5.3));
      const parts: string[] = [];
      let n = 0;
      while (n < size) {
        const w = rnd() < 0.3 ? Math.floor(rnd() * 1e12).toString(16) : words[Math.floor(rnd() * words.length)]!;
        parts.push(w);
        n += w.length + 1;
      }
      await writeFile(path.join(dir, `f${f}.dat`), parts.join(' '));
      total += n;
      files++;
    }
  }
  return files;
}

async function pushTree(reg: TestRegistry, work: string, mb: number): Promise<{ ref: string; files: number }> {
  const layout = path.join(work, 'big-layout');
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:big`]);
  const bundle = path.join(work, 'big-bundle');
  await run('umoci', ['unpack', '--image', `${layout}:big`, bundle]);
  const files = await generateTree(path.join(bundle, 'rootfs'), mb);
  await run('umoci', ['repack', '--image', `${layout}:big`, bundle], { maxBuffer: 1 << 26 });
  await rm(bundle, { recursive: true, force: true });
  await run('umoci', ['config', '--image', `${layout}:big`, '--os', 'linux', '--architecture', 'amd64', '--config.cmd', '/bin/sh']);
  const ref = `${reg.host}/bench/big:1`;
  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--format', 'oci', `oci:${layout}:big`, `docker://${ref}`]);
  await rm(layout, { recursive: true, force: true });
  return { ref, files };
}

async function llmosPull(work: string, ref: string): Promise<number> {
  const dir = await mkdtemp(path.join(work, 'llmos-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  const blobs = new BlobStore(dir);
  await blobs.init();
  const snaps = new SnapshotStore(path.join(dir, 'snapshots'));
  await snaps.init();
  const rootfs = new RootfsManager(path.join(dir, 'rootfs'), snaps, { overlay: true });
  const client = new RegistryClient({ insecure: [], credentials: async () => undefined });
  const svc = new ImageService(store, blobs, snaps, rootfs, client, { maxConcurrentDownloads: 3, retries: 0, chown: true, gc: { minFreeRatio: 0, minFreeBytes: 0, ingestMaxAgeMs: 1e9 } });
  const ms = await time(() => svc.pull(ref));
  await client.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function skopeoUmoci(work: string, ref: string): Promise<number> {
  const dir = await mkdtemp(path.join(work, 'skopeo-'));
  const ms = await time(async () => {
    await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}/layout:x`]);
    await run('umoci', ['unpack', '--image', `${dir}/layout:x`, `${dir}/bundle`]);
  });
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function plainTar(work: string, reg: TestRegistry, ref: string): Promise<number> {
  const [repo, tag] = ref.slice(reg.host.length + 1).split(':');
  const m = (await (await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { headers: { accept: `${MT.ociManifest}, ${MT.dockerManifest}` } })).json()) as { layers: Array<{ digest: string }> };
  const dir = await mkdtemp(path.join(work, 'tar-'));
  const files: string[] = [];
  for (const [i, l] of m.layers.entries()) {
    const f = path.join(dir, `layer${i}.tgz`);
    await writeFile(f, Buffer.from(await (await fetch(`${reg.url}/v2/${repo}/blobs/${l.digest}`)).arrayBuffer()));
    files.push(f);
  }
  const out = path.join(dir, 'root');
  await mkdir(out);
  // Only the extraction is timed: the layers are already on disk.
  const ms = await time(async () => {
    for (const f of files) await run('tar', ['-xzf', f, '-C', out]);
  });
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-pull-'));
  const reg = await startRegistry();
  try {
    const busybox = await pushBusyboxImage(reg, 'bench/busybox');
    process.stderr.write(`generating a ~${MB} MB image...\n`);
    const big = await pushTree(reg, work, MB);
    const rows = [];
    let profileLines: string[] = [];
    // Warm-up (JIT, page cache of the registry's blobs), not counted.
    await llmosPull(work, busybox.ref);
    await skopeoUmoci(work, busybox.ref);
    for (const [name, ref, runs] of [['busybox', busybox.ref, Math.max(RUNS, 7)], [`generated ${MB} MB (${big.files} files)`, big.ref, RUNS]] as const) {
      const l: number[] = [];
      const s: number[] = [];
      const t: number[] = [];
      // Interleaved, so a change in machine load hits all three alike.
      for (let i = 0; i < runs; i++) {
        if (CPU_PROF && i === 0 && ref === big.ref) {
          const session = new Session();
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 500 });
          await session.post('Profiler.start');
          l.push(await llmosPull(work, ref));
          const { profile } = await session.post('Profiler.stop');
          session.disconnect();
          const file = path.join(work, 'pull.cpuprofile');
          await writeFile(file, JSON.stringify(profile));
          profileLines = summarizeProfile(file, 25);
        } else l.push(await llmosPull(work, ref));
        s.push(await skopeoUmoci(work, ref));
        t.push(await plainTar(work, reg, ref));
      }
      rows.push({ image: name, llmosMs: median(l), skopeoUmociMs: median(s), tarXzfMs: median(t), vsSkopeoUmoci: +(median(l) / median(s)).toFixed(2), vsTar: +(median(l) / median(t)).toFixed(2) });
    }
    console.log(JSON.stringify({ runs: RUNS, cpus: os.cpus().length, loadavg: os.loadavg().map((x) => +x.toFixed(1)), results: rows }, null, 2));
    for (const r of rows) {
      console.log(`${r.image}: llmos ${r.llmosMs.toFixed(0)} ms, skopeo+umoci ${r.skopeoUmociMs.toFixed(0)} ms (ratio ${r.vsSkopeoUmoci}, target <= 0.5), tar -xzf ${r.tarXzfMs.toFixed(0)} ms (ratio ${r.vsTar}, target <= 1.3)`);
    }
    if (profileLines.length) console.log(['LLMOS pull of the big image under the CPU profiler (its time in the table above includes the profiler):', ...profileLines].join('\n'));
  } finally {
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
