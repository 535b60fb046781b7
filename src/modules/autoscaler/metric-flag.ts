// Parsing of `--metric` flags; kept free of heavy imports because the CLI loads it at start-up.
import { InvalidArgument } from '../../kernel/errors.js';

export interface MetricFlag {
  metric: 'cpu' | 'memory' | 'rps' | 'concurrency';
  target: number;
}

/** "cpu=60%", "memory=70%", "rps=100", "concurrency=10" -> a metric target. */
export function parseMetricFlag(flag: string): MetricFlag {
  const m = /^(cpu|memory|rps|concurrency)=(\d+(?:\.\d+)?)(%?)$/.exec(flag.trim());
  if (!m) throw new InvalidArgument(`metric "${flag}" is not one of cpu=60%, memory=70%, rps=100, concurrency=10`);
  const metric = m[1] as MetricFlag['metric'];
  if ((metric === 'cpu' || metric === 'memory') !== (m[3] === '%')) throw new InvalidArgument(`metric "${flag}": cpu and memory take a percentage of requests, rps and concurrency a per-replica value`);
  const target = Number(m[2]);
  if (!(target > 0)) throw new InvalidArgument(`metric "${flag}": target must be positive`);
  return { metric, target };
}
