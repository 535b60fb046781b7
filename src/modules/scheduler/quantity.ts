// Resource quantities as users type them, after Kubernetes: CPU in cores or millicores ("2",
// "0.5", "500m"), memory in bytes with binary or decimal suffixes ("512Mi", "1Gi", "1G", "1000").
// Internally CPU is millicores and memory is bytes, as in the kernel's Resources.
import { InvalidArgument } from '../../kernel/errors.js';

const memSuffix: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** "500m" → 500, "2" → 2000, "0.25" → 250 (millicores). */
export function parseCpu(s: string | number): number {
  if (typeof s === 'number') return checkNonNeg(Math.round(s * 1000), String(s), 'cpu');
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$/.exec(s);
  if (!m) throw new InvalidArgument(`cpu quantity "${s}" is not like 2, 0.5 or 500m`);
  return m[2] ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000);
}

/** "512Mi" → 536870912, "1G" → 1e9, "1024" → 1024 (bytes). */
export function parseMemory(s: string | number): number {
  if (typeof s === 'number') return checkNonNeg(Math.round(s), String(s), 'memory');
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMGT]i?|)\s*[bB]?\s*$/.exec(s);
  if (!m || memSuffix[m[2]!] === undefined) throw new InvalidArgument(`memory quantity "${s}" is not like 512Mi, 1Gi or 1000000`);
  return Math.round(Number(m[1]) * memSuffix[m[2]!]!);
}

function checkNonNeg(v: number, s: string, what: string): number {
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgument(`${what} quantity "${s}" must be a non-negative number`);
  return v;
}

/** 1500 → "1500m", 2000 → "2" (whole cores shown as cores). */
export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/** Bytes in the largest binary unit that keeps one decimal: 314572800 → "300Mi". */
export function formatMemory(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${s}${units[i]}`;
}

/** "500m CPU", "512Mi memory", "20 pids": the amounts in rejection messages. */
export function formatResource(dim: 'cpu' | 'memory' | 'pids', v: number): string {
  if (dim === 'cpu') return `${v}m CPU`;
  if (dim === 'memory') return `${formatMemory(v)} memory`;
  return `${v} pids`;
}

/** The bare amount: "500m", "300Mi", "20". */
export function formatAmount(dim: 'cpu' | 'memory' | 'pids', v: number): string {
  if (dim === 'cpu') return `${v}m`;
  if (dim === 'memory') return formatMemory(v);
  return `${v}`;
}
