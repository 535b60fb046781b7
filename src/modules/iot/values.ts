// Checks a twin or telemetry value against its model property. Values from devices must have the
// property's type exactly; values typed by a user (`llmos device set t1 setpoint=20`) may be text
// that is converted first.
import type { PropertyDef, TwinValue } from '../../contracts/iot.js';

const MAX_STRING = 4096;

/** The value, or a reason it is refused. */
export function checkValue(p: PropertyDef, raw: unknown, opts: { coerce?: boolean } = {}): { ok: true; value: TwinValue } | { ok: false; reason: string } {
  let v = raw;
  if (opts.coerce && typeof v === 'string' && p.type !== 'string') {
    if (p.type === 'boolean' && (v === 'true' || v === 'false')) v = v === 'true';
    else if ((p.type === 'number' || p.type === 'integer') && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
  }
  if (opts.coerce && p.type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) v = String(v);
  switch (p.type) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `${p.name} must be a number` };
      break;
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return { ok: false, reason: `${p.name} must be an integer` };
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return { ok: false, reason: `${p.name} must be true or false` };
      break;
    case 'string':
      if (typeof v !== 'string') return { ok: false, reason: `${p.name} must be a string` };
      if (v.length > MAX_STRING) return { ok: false, reason: `${p.name} is longer than ${MAX_STRING} characters` };
      break;
  }
  const val = v as TwinValue;
  if (typeof val === 'number') {
    if (p.min !== undefined && val < p.min) return { ok: false, reason: `${p.name} ${val} is below the minimum ${p.min}` };
    if (p.max !== undefined && val > p.max) return { ok: false, reason: `${p.name} ${val} is above the maximum ${p.max}` };
  }
  if (p.enum && !p.enum.some((e) => e === val)) return { ok: false, reason: `${p.name} must be one of ${p.enum.map((e) => JSON.stringify(e)).join(', ')}` };
  return { ok: true, value: val };
}

/** Checks every key of `obj`; all or nothing. */
export function checkObject(props: PropertyDef[], obj: unknown, opts: { coerce?: boolean; writable?: boolean } = {}): { ok: true; values: Record<string, TwinValue> } | { ok: false; reason: string } {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'must be a JSON object keyed by property' };
  const out: Record<string, TwinValue> = {};
  const entries = Object.entries(obj as Record<string, unknown>);
  if (!entries.length) return { ok: false, reason: 'no properties given' };
  for (const [k, raw] of entries) {
    const p = props.find((x) => x.name === k);
    if (!p) return { ok: false, reason: `unknown property ${JSON.stringify(k)} (the model has ${props.map((x) => x.name).join(', ')})` };
    if (opts.writable && p.access !== 'readwrite') return { ok: false, reason: `${k} is read-only (access: read): only the device reports it` };
    const c = checkValue(p, raw, opts);
    if (!c.ok) return c;
    out[k] = c.value;
  }
  return { ok: true, values: out };
}

/** Model sanity: unique names, min <= max, enum values of the property's type. */
export function checkModel(props: PropertyDef[]): string | undefined {
  const seen = new Set<string>();
  for (const p of props) {
    if (seen.has(p.name)) return `property ${p.name} is declared twice`;
    seen.add(p.name);
    if ((p.min !== undefined || p.max !== undefined) && p.type !== 'number' && p.type !== 'integer') return `${p.name}: min and max are for number and integer properties`;
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) return `${p.name}: min ${p.min} is above max ${p.max}`;
    if (p.enum) for (const e of p.enum) if (!checkValue({ ...p, enum: undefined }, e).ok) return `${p.name}: enum value ${JSON.stringify(e)} is not a valid ${p.type}`;
  }
  return undefined;
}
