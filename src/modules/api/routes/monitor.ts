// Monitor routes: the latest sample, time series as JSON, and Prometheus text at /metrics
// (behind the API token like every route: metrics name workloads and namespaces).
import { z } from 'zod';
import type { Registry } from 'prom-client';
import { Kinds, type ModuleKind } from '../../../contracts/kinds.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import { InvalidArgument } from '../../../kernel/errors.js';
import type { MonitorApi } from '../../../contracts/monitor.js';
import type { Api } from '../server.js';
import { metricsSnapshotSchema, queryPointSchema, seriesInfoSchema } from '../../../contracts/monitor.js';

/** "id=abc,namespace=default" → { id: 'abc', namespace: 'default' }. */
function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new InvalidArgument(`label "${part}" is not key=value`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** Modules whose API carries a prom-client Registry as `metrics` are merged into /metrics. */
const kindsWithMetrics: ModuleKind[] = [Kinds.functions, Kinds.gateway, Kinds.services, Kinds.autoscaler, Kinds.containers];

function otherRegistries(k: RouteKernel): Registry[] {
  const out: Registry[] = [];
  for (const kind of kindsWithMetrics) {
    const m = k.getOptional<{ metrics?: Registry }>(kind)?.metrics;
    if (m && typeof m.metrics === 'function' && typeof m.contentType === 'string') out.push(m);
  }
  return out;
}

export function monitorRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const m = () => k.getSingle<MonitorApi>(Kinds.monitor);

  app.get('/v1/metrics', { schema: { summary: 'Latest sample: node CPU, memory, disk and each running workload; refresh=true samples now', querystring: z.object({ refresh: z.enum(['true', 'false']).optional() }), response: { 200: metricsSnapshotSchema } } }, async (req) => {
    const mon = m();
    return (req.query.refresh === 'true' ? await mon.sampleNow() : mon.latest()) ?? (await mon.sampleNow());
  });
  app.get('/v1/metrics/series', { schema: { summary: 'Time series kept (name and labels)', querystring: z.object({ name: z.string().optional(), labels: z.string().optional() }), response: { 200: z.object({ series: z.array(seriesInfoSchema) }) } } }, async (req) => ({
    series: m().series({ name: req.query.name, labels: parseLabels(req.query.labels) }),
  }));
  app.get(
    '/v1/metrics/query',
    {
      schema: {
        summary: 'Points of one series: downsampled buckets for the older part, then full resolution',
        querystring: z.object({ name: z.string().min(1), labels: z.string().optional(), from: z.coerce.number().optional(), to: z.coerce.number().optional() }),
        response: { 200: z.object({ name: z.string(), labels: z.record(z.string(), z.string()), points: z.array(queryPointSchema) }) },
      },
    },
    async (req) => {
      const labels = parseLabels(req.query.labels);
      return { name: req.query.name, labels, points: m().query(req.query.name, labels, { from: req.query.from, to: req.query.to }) };
    },
  );
  app.get('/v1/metrics/workloads/:id', { schema: { summary: 'Every series of one workload', params: z.object({ id: z.string().min(1) }), querystring: z.object({ from: z.coerce.number().optional() }), response: { 200: z.object({ id: z.string(), series: z.array(seriesInfoSchema.extend({ points: z.array(queryPointSchema) })) }) } } }, async (req) => {
    const mon = m();
    const series = mon.series({ labels: { id: req.params.id } });
    return { id: req.params.id, series: series.map((s) => ({ ...s, points: mon.query(s.name, s.labels, { from: req.query.from }) })) };
  });

  app.get('/metrics', { schema: { summary: 'Prometheus text format: container_*, node_*, llmos_* and other modules\' metrics', produces: ['text/plain'], response: { 200: z.string().describe('Prometheus text exposition format 0.0.4') } } }, async (_req, reply) => {
    const mon = m();
    const texts = await Promise.all([mon.registry, ...otherRegistries(k)].map((r) => r.metrics()));
    return reply.header('content-type', mon.registry.contentType).send(texts.join('\n'));
  });
}
