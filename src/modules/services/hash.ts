// Stable JSON (sorted keys) and short content hashes, for template hashes and "unchanged" checks.
import { createHash } from 'node:crypto';

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export const sameJson = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

/** 10 hex digits of SHA-256 over the stable JSON: names replicas of one template. */
export const shortHash = (v: unknown): string => createHash('sha256').update(stableJson(v)).digest('hex').slice(0, 10);
