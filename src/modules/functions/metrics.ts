// Per-function Prometheus metrics on a registry of the module's own; the monitor serves it.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class FunctionMetrics {
  readonly registry = new Registry();
  readonly invocations = new Counter({ name: 'llmos_function_invocations_total', help: 'Function invocations by outcome status', labelNames: ['function', 'status'] as const, registers: [this.registry] });
  readonly errors = new Counter({ name: 'llmos_function_errors_total', help: 'Failed invocations by reason', labelNames: ['function', 'reason'] as const, registers: [this.registry] });
  readonly coldStarts = new Counter({ name: 'llmos_function_cold_starts_total', help: 'Instances started', labelNames: ['function'] as const, registers: [this.registry] });
  readonly coldStartSeconds = new Histogram({ name: 'llmos_function_cold_start_seconds', help: 'Time to start an instance', labelNames: ['function'] as const, buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });
  readonly queueWait = new Histogram({ name: 'llmos_function_queue_wait_seconds', help: 'Time a request waited for an instance slot', labelNames: ['function'] as const, buckets: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: [this.registry] });
  readonly duration = new Histogram({ name: 'llmos_function_duration_seconds', help: 'Handler time per invocation', labelNames: ['function'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  /** Requests in flight by function, read when the metrics are (a gauge moved twice per request cost more than this). */
  readonly inflight = new Map<string, () => number>();
  readonly concurrency: Gauge<'function'> = new Gauge({
    name: 'llmos_function_concurrency',
    help: 'Requests in flight',
    labelNames: ['function'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [fn, n] of this.inflight) this.concurrency.set({ function: fn }, n());
    },
  });
  readonly queued = new Gauge({ name: 'llmos_function_queued', help: 'Requests waiting for an instance', labelNames: ['function'] as const, registers: [this.registry] });
  readonly streamBytes = new Counter({ name: 'llmos_function_stream_bytes_total', help: 'Bytes of streamed response bodies sent to callers', labelNames: ['function'] as const, registers: [this.registry] });
  readonly wsFrames = new Counter({ name: 'llmos_function_websocket_messages_total', help: 'WebSocket messages through the gateway, by direction (in: from the caller)', labelNames: ['function', 'direction'] as const, registers: [this.registry] });
  readonly wsBytes = new Counter({ name: 'llmos_function_websocket_bytes_total', help: 'WebSocket message bytes through the gateway, by direction', labelNames: ['function', 'direction'] as const, registers: [this.registry] });
  readonly instances = new Gauge({ name: 'llmos_function_instances', help: 'Instances by state', labelNames: ['function', 'state'] as const, registers: [this.registry] });

  /** Drops every series of a removed function, whatever its other labels (status, reason, state). */
  async forget(fn: string): Promise<void> {
    // prom-client's remove() wants a series' full label set, so read the label sets in use first.
    for (const m of [this.invocations, this.errors, this.coldStarts, this.coldStartSeconds, this.queueWait, this.duration, this.concurrency, this.queued, this.instances]) {
      const labelSets = new Map<string, Record<string, string | number>>();
      for (const v of (await m.get()).values) {
        if (v.labels.function !== fn) continue;
        const { le: _bucket, ...labels } = v.labels as Record<string, string | number>; // histogram buckets are not series labels
        labelSets.set(JSON.stringify(labels), labels);
      }
      for (const labels of labelSets.values()) m.remove(labels);
    }
  }
}
