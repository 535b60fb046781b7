#!/usr/bin/env node
// `npm run soak -- --minutes N` (default 10): a real daemon under bounded load on the API and the
// function gateway (autocannon, loopback only) for N minutes, sampling the daemon's RSS and open
// fds from /proc. Passes when RSS is flat (last-quarter median within 15% or 32 MB of the
// second-quarter median: the first quarter is warm-up) and the fd count does not grow. Prints the
// figures. Not part of `npm test`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const minutes = arg('--minutes', 10);
const rate = arg('--rate', 200); // requests per second per target: bounded, the machine is shared
const sampleMs = arg('--sample-seconds', 5) * 1000;
if (!(minutes > 0) || !(rate > 0)) {
  console.error('usage: npm run soak -- --minutes N [--rate RPS] [--sample-seconds S]');
  process.exit(1);
}
if (!existsSync('dist/src/cli/main.js')) {
  const b = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmos-soak-'));
const daemon = spawn('bin/llmos', ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], { env: { ...process.env, LLMOS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
daemon.stdout.on('data', (d) => (out += d));
daemon.stderr.on('data', (d) => (out += d));
const cleanup = () => {
  if (daemon.exitCode === null) daemon.kill('SIGTERM');
};
process.on('exit', () => {
  cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const deadline = Date.now() + 30_000;
while (!/API on (http:\/\/\S+)/.test(out) || !/gateway on (http:\/\/\S+)/.test(out)) {
  if (Date.now() > deadline || daemon.exitCode !== null) {
    console.error(`soak: the daemon did not start:\n${out}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
const api = /API on (http:\/\/\S+)/.exec(out)[1];
const gateway = /gateway on (http:\/\/\S+)/.exec(out)[1];
const token = readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const pid = daemon.pid;

const dep = await fetch(`${api}/v1/functions`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'soak', code: { files: { 'index.js': 'export default { async fetch(req) { return new Response("ok " + new URL(req.url).pathname); } };' } } }) });
if (dep.status >= 300) {
  console.error(`soak: cannot deploy the function: ${dep.status} ${await dep.text()}`);
  process.exit(1);
}

const samples = [];
const sample = () => {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  samples.push({ t: Date.now(), rss, fds });
};
sample();
const timer = setInterval(sample, sampleMs);

const duration = Math.round(minutes * 60);
const run = (opts) => new Promise((resolve, reject) => autocannon({ connections: 4, duration, overallRate: rate, ...opts }, (err, res) => (err ? reject(err) : resolve(res))));
console.log(`soak: ${minutes} min at ${rate} req/s on each of the API and the gateway; daemon pid ${pid}`);
const [apiRes, gwRes] = await Promise.all([
  run({ url: api, headers: auth, requests: [{ method: 'GET', path: '/v1/status' }, { method: 'GET', path: '/v1/services' }, { method: 'POST', path: '/v1/apply', body: JSON.stringify({ dryRun: true, manifest: 'apiVersion: llmos.io/v1\nkind: Service\nmetadata: {name: soak}\nspec: {image: x, replicas: 1}\n' }) }, { method: 'GET', path: '/v1/functions/soak' }] }),
  run({ url: `${gateway}/fn/soak/hello` }),
]);
clearInterval(timer);
sample();
const healthy = (await fetch(`${api}/healthz`).catch(() => ({ status: 0 }))).status === 200;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2 : NaN;
};
const q = Math.floor(samples.length / 4);
const second = samples.slice(q, 2 * q);
const last = samples.slice(3 * q);
const rss2 = median(second.map((s) => s.rss));
const rss4 = median(last.map((s) => s.rss));
const fd2 = Math.max(...second.map((s) => s.fds));
const fd4 = Math.max(...last.map((s) => s.fds));
const rssOk = rss4 <= rss2 + Math.max(0.15 * rss2, 32);
const fdOk = fd4 <= fd2 + 5;
const non2xx = (r) => r.non2xx + r.errors + r.timeouts;
console.log(`API:     ${apiRes.requests.total} requests, ${apiRes.requests.average}/s, p99 ${apiRes.latency.p99} ms, ${non2xx(apiRes)} non-2xx/errors`);
console.log(`gateway: ${gwRes.requests.total} requests, ${gwRes.requests.average}/s, p99 ${gwRes.latency.p99} ms, ${non2xx(gwRes)} non-2xx/errors`);
console.log(`RSS MB:  start ${samples[0].rss.toFixed(1)}, 2nd-quarter median ${rss2.toFixed(1)}, last-quarter median ${rss4.toFixed(1)}, max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)} (${samples.length} samples) -> ${rssOk ? 'flat' : 'GROWING'}`);
console.log(`fds:     start ${samples[0].fds}, 2nd-quarter max ${fd2}, last-quarter max ${fd4} -> ${fdOk ? 'flat' : 'GROWING'}`);
console.log(`healthz after the soak: ${healthy ? 'ok' : 'FAILED'}`);
const ok = rssOk && fdOk && healthy && non2xx(apiRes) === 0 && non2xx(gwRes) === 0 && q > 0;
console.log(ok ? 'soak: pass' : 'soak: FAIL');
cleanup();
process.exit(ok ? 0 : 1);
