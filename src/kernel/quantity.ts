// Resource quantities as users type them, the one parser for flags, manifests and API bodies:
// CPU in cores or millicores ("2", "0.5", "500m"), memory in bytes with Kubernetes suffixes
// ("512Mi", "1Gi" binary; "1G", "1M" decimal) or Docker-style lowercase units ("64m", "1g", "512k",
// binary, with an optional "b"). Internally CPU is millicores and memory is bytes, as in Resources.
import { InvalidArgument } from './errors.js';

const memSuffix: Record<string, number> = {
  '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
  b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40,
};

/** "500m" → 500, "2" → 2000, "0.25" → 250 (millicores). */
export function parseCpu(s: string | number, what = 'cpu'): number {
  if (typeof s === 'number') return checkNonNeg(Math.round(s * 1000), String(s), what);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$/.exec(s);
  if (!m) throw new InvalidArgument(`${what} quantity "${s}" is not like 2, 0.5 or 500m`);
  return m[2] ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000);
}

/** "512Mi" → 536870912, "1G" → 1e9, "64m" → 67108864, "1024" → 1024 (bytes). */
export function parseMemory(s: string | number, what = 'memory'): number {
  if (typeof s === 'number') return checkNonNeg(Math.round(s), String(s), what);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i|[KMGT]|[bkmgt]b?|)\s*$/.exec(s);
  const unit = m ? m[2]!.replace(/(.)b$/, '$1') : '';
  if (!m || memSuffix[unit] === undefined) throw new InvalidArgument(`${what} quantity "${s}" is not like 512Mi, 1Gi, 64m or 1000000`);
  return Math.round(Number(m[1]) * memSuffix[unit]!);
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
