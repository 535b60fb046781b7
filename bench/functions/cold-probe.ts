// bench/functions/cold-probe: where a cold start's time goes. Deploys N functions, then sends each
// its first request over HTTP (20 ms apart) and reports the end-to-end time beside the host-side
// instance start the logs give ("instance started in X ms").
// Run: npm run build && node --no-node-snapshot dist/bench/functions/cold-probe.js [--cold 50]
import os from 'node:os';
import { Agent, request } from 'undici';
import { projectRoot, startDaemon } from '../../test/support/daemon.js';

const i = process.argv.indexOf('--cold');
const N = i > 0 ? Number(process.argv[i + 1]) : 50;
const HANDLER = `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, q: u.searchParams.get('q'), ua: request.headers.get('user-agent') }, { headers: { 'x-bench': '1' } }); } };`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;
const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });

process.chdir(projectRoot);
const d = await startDaemon({ env: process.env.LLMOS_PROBE_ENV ? JSON.parse(process.env.LLMOS_PROBE_ENV) : {} });
try {
  for (let k = 0; k < N; k++) {
    const r = await d.api('POST', '/v1/functions', { name: `c${k}`, code: { files: { 'index.js': HANDLER }, entry: 'index.js' } });
    if (r.status >= 300) throw new Error(JSON.stringify(r.body));
  }
  const e2e: number[] = [];
  const second: number[] = [];
  for (let k = 0; k < N; k++) {
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const r = await request(`${d.gateway}/fn/c${k}/x`, { dispatcher: agent });
    await r.body.text();
    e2e.push(performance.now() - t0);
    const t1 = performance.now();
    await (await request(`${d.gateway}/fn/c${k}/x`, { dispatcher: agent })).body.text();
    second.push(performance.now() - t1);
  }
  const logs = (await d.api<{ logs: Array<{ function: string; text: string }> }>('GET', `/v1/functions/-/logs?tail=${N * 4}`)).body.logs;
  const start = logs.map((l) => /instance started in ([\d.]+) ms/.exec(l.text)).filter((m) => m).map((m) => Number(m![1]));
  const detail = logs.filter((l) => /instance started/.test(l.text)).slice(0, 3).map((l) => l.text);
  console.log(`cold e2e p50 ${pct(e2e, 50).toFixed(2)} p95 ${pct(e2e, 95).toFixed(2)} ms; instance start p50 ${pct(start, 50).toFixed(2)} p95 ${pct(start, 95).toFixed(2)} ms (n=${N}); second request p50 ${pct(second, 50).toFixed(2)} ms; load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(detail.join('\n'));
} finally {
  await d.stop();
  await agent.close();
}
