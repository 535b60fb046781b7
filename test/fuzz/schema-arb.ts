// JSON Schema (as the daemon's /v1/openapi.json gives it) -> fast-check arbitraries of values that
// are valid, or valid except for one field (a "near miss"), or hostile throughout.
import fc from 'fast-check';
import { hostile } from './hostile.js';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
}

/** Values the schema accepts (roughly: enough to get past validation into the handler). */
export function valid(s: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 4) return fc.jsonValue({ maxDepth: 1 });
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => valid(a, depth + 1)));
  if (s.allOf?.length) return valid(s.allOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return fc.oneof(fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, 64) }), fc.constantFrom('web', 'default', 'x', '1', '500m', '64Mi', '30s'));
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e9), max: Math.min(s.maximum ?? 1000, 1e9) });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(s.items, depth + 1), { maxLength: 3 });
    case 'object':
    case undefined: {
      if (!s.properties) return fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
      const req = new Set(s.required ?? []);
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(s.properties)) rec[k] = valid(v, depth + 1);
      return fc.record(rec, { requiredKeys: [...req].filter((k) => k in rec) });
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

/** A valid object with one field (at any depth of the top level) replaced by a hostile value, or an extra key. */
export function nearMiss(s: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const keys = Object.keys(s?.properties ?? {});
  if (!keys.length) return hostile;
  return fc.tuple(valid(s), fc.constantFrom(...keys, '__proto__', 'constructor', 'extra'), hostile).map(([v, k, bad]) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    // JSON text, so that "__proto__" is sent as a real key; the bad value comes last, so it wins over a valid one.
    const text = JSON.stringify(v);
    const field = `${JSON.stringify(k)}:${JSON.stringify(bad) ?? 'null'}`;
    return JSON.parse(text === '{}' ? `{${field}}` : `${text.slice(0, -1)},${field}}`) as unknown;
  });
}

/** What the fuzz sends as a body: mostly near misses, some hostile values, some valid ones. */
export function bodies(s: JsonSchema | undefined): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: nearMiss(s) }, { weight: 2, arbitrary: hostile }, { weight: 2, arbitrary: valid(s) });
}
