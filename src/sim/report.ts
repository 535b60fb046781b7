// Writes a run's Markdown report, JSON and SVG charts to --out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionSimResult } from './functions.js';
import type { ServiceSimResult } from './service.js';
import { linesSvg, paretoSvg, scatterSvg } from './svg.js';

export function functionsTable(r: FunctionSimResult): string {
  const rows = r.policies.map(
    (p) =>
      `| ${p.name} | ${p.coldStartP75Pct.toFixed(2)} | ${p.coldStartDistribution.p50.toFixed(2)} | ${p.coldStartDistribution.p90.toFixed(2)} | ${p.wastedMemoryPct.toFixed(1)} | ${p.coldStarts} | ${p.instanceSeconds} | ${p.appsOnlyFirstColdPct.toFixed(1)} |`,
  );
  return [
    '| policy | cold start % p75 (per app) | p50 | p90 | wasted memory (fixed:10m = 100) | cold starts | instance-seconds | apps cold only on first call (%) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

export function serviceTable(r: ServiceSimResult): string {
  return [
    '| policy | under-provisioned time (%) | replica-minutes | over-provisioned replica-minutes | scaling actions | unserved requests | peak replicas |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.policies.map((p) => `| ${p.name} | ${p.underProvisionedPct.toFixed(3)} | ${p.replicaMinutes} | ${p.overProvisionedReplicaMinutes} | ${p.scalingActions} | ${p.unservedRequests} | ${p.peakReplicas} |`),
  ].join('\n');
}

export function functionsChart(r: FunctionSimResult, title: string): string {
  return scatterSvg(
    title,
    r.policies.map((p) => ({ label: p.name, x: p.wastedMemoryPct, y: p.coldStartP75Pct })),
    'wasted memory time (fixed:10m = 100)',
    '3rd-quartile per-app cold start %',
  );
}

/** Total cold starts vs wasted memory per policy, hybrid (the baseline to beat) and the oracle marked. */
export function functionsParetoChart(r: FunctionSimResult, title: string): string {
  return paretoSvg(
    title,
    r.policies.map((p) => ({ label: p.name, x: p.wastedMemoryPct, y: p.coldStarts })),
    { hybrid: 'baseline', oracle: 'bound' },
    'wasted memory time (fixed:10m = 100)',
    'cold starts (total)',
  );
}

export function serviceChart(r: ServiceSimResult, title: string): string {
  const days = r.seconds > 3 * 86_400;
  return linesSvg(
    title,
    r.series.t,
    [
      // Demand in replicas' worth at full capacity, so both share the axis.
      { label: 'demand / capacity', values: r.series.demand, scale: 1 / r.capacityRps },
      ...Object.entries(r.series.replicas).map(([label, values]) => ({ label, values })),
    ],
    days ? 'days' : 'hours',
    'replicas',
    (v) => (days ? (v / 86_400).toFixed(0) : (v / 3600).toFixed(0)),
    // Whole hours or days as ticks.
    (days ? [1, 2, 5, 7, 10, 14, 20, 30] : [1, 2, 3, 4, 6, 12, 24]).map((k) => k * (days ? 86_400 : 3600)),
  );
}

export function writeFunctionsRun(out: string, name: string, r: FunctionSimResult, meta: Record<string, unknown>): string[] {
  mkdirSync(out, { recursive: true });
  const md = [
    `# Keep-alive simulation: ${name}`,
    '',
    `${r.apps} apps, ${r.invocations} invocations over ${r.minutes} minutes, seed ${r.seed}.`,
    '',
    functionsTable(r),
    '',
    `![cold start vs wasted memory](${name}.svg)`,
    '',
  ].join('\n');
  const files = [join(out, `${name}.md`), join(out, `${name}.json`), join(out, `${name}.svg`)];
  writeFileSync(files[0]!, md);
  writeFileSync(files[1]!, JSON.stringify({ ...meta, ...r }, null, 2) + '\n');
  writeFileSync(files[2]!, functionsChart(r, `${name}: cold starts vs wasted memory`));
  return files;
}

export function writeServiceRun(out: string, name: string, r: ServiceSimResult, meta: Record<string, unknown>): string[] {
  mkdirSync(out, { recursive: true });
  const md = [
    `# Service autoscaling simulation: ${name}`,
    '',
    `${Math.round(r.seconds / 3600)} hours, ${r.requests} requests; ${r.capacityRps} rps per replica, start-up ${r.startupMs / 1000} s.`,
    '',
    serviceTable(r),
    '',
    `![demand vs replicas](${name}.svg)`,
    '',
  ].join('\n');
  const files = [join(out, `${name}.md`), join(out, `${name}.json`), join(out, `${name}.svg`)];
  writeFileSync(files[0]!, md);
  writeFileSync(files[1]!, JSON.stringify({ ...meta, policies: r.policies, series: r.series }, null, 2) + '\n');
  writeFileSync(files[2]!, serviceChart(r, `${name}: demand vs replicas`));
  return files;
}

/** A progress bar on stderr; quiet when stderr is not a terminal unless forced. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number, what: string) => void {
  let last = -1;
  let lastQuarter = -1;
  return (done, total, what) => {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (pct === last) return;
    last = pct;
    const quarter = Math.floor(pct / 25);
    const width = 30;
    const filled = Math.round((width * pct) / 100);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${what}`;
    if (stream.isTTY) stream.write(`\r${line.padEnd(80)}${pct >= 100 ? '\n' : ''}`);
    else if (quarter !== lastQuarter) {
      // Not a terminal (a log, a CI job): a line per quarter instead of redrawing.
      lastQuarter = quarter;
      stream.write(`${line}\n`);
    }
  };
}
