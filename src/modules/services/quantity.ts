// Kubernetes resource quantities ("500m", "0.5", "128Mi", "1G") as numbers: cores and bytes.

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a quantity to its plain value (bytes, or cores for CPU); undefined when it is not one. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const mult = binary[suffix] ?? decimal[suffix];
  return mult === undefined ? undefined : n * mult;
}

/** CPU in cores ("250m" -> 0.25). */
export const parseCpu = (v: unknown): number | undefined => {
  const q = parseQuantity(v);
  return q === undefined ? undefined : Math.round(q * 1000) / 1000;
};

/** Memory in whole bytes ("64Mi" -> 67108864; docker-style "64m" is milli in Kubernetes, so it is refused below 1 byte). */
export const parseMemory = (v: unknown): number | undefined => {
  if (typeof v === 'string') {
    // The CLI also takes docker-style sizes: 64m, 1g, 512k (binary units).
    const d = /^([0-9]+(?:\.[0-9]+)?)([kmg])b?$/i.exec(v.trim());
    if (d && d[2] === d[2]!.toLowerCase() && d[2] !== 'k') return Math.round(Number(d[1]) * { m: 2 ** 20, g: 2 ** 30 }[d[2] as 'm' | 'g']);
    if (d && /^[kK]$/.test(d[2]!) && v.trim().toLowerCase().endsWith('b')) return Math.round(Number(d[1]) * 1024);
  }
  const q = parseQuantity(v);
  if (q === undefined || q < 1) return q === 0 ? 0 : undefined;
  return Math.round(q);
};
