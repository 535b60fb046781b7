// The Alibaba GPU cluster trace (cluster-trace-gpu-v2023, openb_pod_list_*.csv) as scheduler
// input: one row per pod with CPU (millicores), memory (MiB), QoS and creation/deletion times (s).
import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../../kernel/errors.js';

export interface TracePod {
  name: string;
  cpu: number;
  memory: number;
  /** LS (latency-sensitive), BE (best-effort), Burstable, Guaranteed. */
  qos: string;
  /** Seconds from the trace start. */
  arrival: number;
  /** Seconds from the trace start; Infinity when the pod never leaves. */
  departure: number;
  gpus: number;
}

const required = ['name', 'cpu_milli', 'memory_mib', 'qos', 'creation_time', 'deletion_time'];

export function parseOpenbTrace(text: string, source = 'trace'): TracePod[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = (lines.shift() ?? '').split(',');
  const col = Object.fromEntries(header.map((h, i) => [h.trim(), i]));
  const missing = required.filter((c) => col[c] === undefined);
  if (missing.length) throw new InvalidArgument(`${source}: not an openb pod list (missing columns ${missing.join(', ')}; expected ${required.join(',')},...)`);
  const pods: TracePod[] = [];
  lines.forEach((line, i) => {
    const f = line.split(',');
    const num = (c: string) => Number(f[col[c]!]);
    const arrival = num('creation_time');
    const del = f[col.deletion_time!]?.trim();
    const pod: TracePod = { name: f[col.name!]!, cpu: num('cpu_milli'), memory: num('memory_mib') * 2 ** 20, qos: f[col.qos!] ?? '', arrival, departure: del ? Number(del) : Infinity, gpus: col.num_gpu !== undefined ? Number(f[col.num_gpu]) || 0 : 0 };
    if (![pod.cpu, pod.memory, pod.arrival].every(Number.isFinite) || Number.isNaN(pod.departure)) throw new InvalidArgument(`${source}: line ${i + 2} has a bad number: ${line}`);
    pods.push(pod);
  });
  return pods;
}

export function loadOpenbTrace(file: string): TracePod[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidArgument(`cannot read trace ${file}: ${(e as Error).message}`);
  }
  return parseOpenbTrace(text, file);
}
