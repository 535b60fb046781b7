// A small validating reader for manifests: each read names the field's path, so errors and
// warnings say exactly which field is wrong or outside the supported subset.

export interface FieldIssue {
  path: string;
  message: string;
}

export class Fields {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];

  error(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /**
   * Reads an object and warns about every key not in `known` (fields outside the subset);
   * keys in `ignored` are accepted silently (e.g. status, metadata.uid).
   */
  obj(v: unknown, path: string, known: readonly string[], opts: { required?: boolean; ignored?: readonly string[] } = {}): Record<string, unknown> | undefined {
    if (v === undefined || v === null) return opts.required ? this.error(path, 'required') : undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.error(path, `must be an object, got ${typeOf(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!known.includes(k) && !opts.ignored?.includes(k)) this.warn(join(path, k), 'not supported by LLMOS; ignored');
    return o;
  }

  str(v: unknown, path: string, opts: { required?: boolean; pattern?: RegExp; patternHint?: string; oneOf?: readonly string[] } = {}): string | undefined {
    if (v === undefined || v === null) return opts.required ? this.error(path, 'required') : undefined;
    if (typeof v !== 'string') return this.error(path, `must be a string, got ${typeOf(v)}`);
    if (opts.required && v === '') return this.error(path, 'must not be empty');
    if (opts.oneOf && !opts.oneOf.includes(v)) return this.error(path, `must be one of ${opts.oneOf.join(', ')}, got "${clip(v)}"`);
    if (opts.pattern && !opts.pattern.test(v)) return this.error(path, `"${clip(v)}" ${opts.patternHint ?? `must match ${opts.pattern}`}`);
    return v;
  }

  int(v: unknown, path: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (v === undefined || v === null) return opts.required ? this.error(path, 'required') : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.error(path, `must be an integer, got ${typeof v === 'number' ? v : typeOf(v)}${typeof v === 'string' ? ` "${clip(v)}"` : ''}`);
    if (opts.min !== undefined && v < opts.min) return this.error(path, `must be at least ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) return this.error(path, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  num(v: unknown, path: string, opts: { min?: number; exclusiveMin?: boolean; max?: number } = {}): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.error(path, `must be a finite number, got ${typeof v === 'number' ? v : typeOf(v)}`);
    if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) return this.error(path, `must be ${opts.exclusiveMin ? 'greater than' : 'at least'} ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) return this.error(path, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  arr(v: unknown, path: string, opts: { required?: boolean; min?: number; max?: number } = {}): unknown[] | undefined {
    if (v === undefined || v === null) return opts.required ? this.error(path, 'required') : undefined;
    if (!Array.isArray(v)) return this.error(path, `must be a list, got ${typeOf(v)}`);
    if (opts.min !== undefined && v.length < opts.min) return this.error(path, `must have at least ${opts.min} item${opts.min === 1 ? '' : 's'}`);
    if (opts.max !== undefined && v.length > opts.max) {
      // Read what is supported; name the extra items.
      for (let i = opts.max; i < v.length; i++) this.warn(`${path}[${i}]`, `only ${opts.max} supported; ignored`);
      return v.slice(0, opts.max);
    }
    return v;
  }

  strings(v: unknown, path: string, opts: { required?: boolean } = {}): string[] | undefined {
    const a = this.arr(v, path, { required: opts.required, min: opts.required ? 1 : undefined });
    if (!a) return undefined;
    const out: string[] = [];
    a.forEach((x, i) => {
      if (typeof x === 'string') out.push(x);
      else if (typeof x === 'number' || typeof x === 'boolean') out.push(String(x));
      else this.error(`${path}[${i}]`, `must be a string, got ${typeOf(x)}`);
    });
    return out;
  }

  /** A map of string to string (labels, LLMOS env). Numbers and booleans are stringified, as YAML users expect. */
  stringMap(v: unknown, path: string): Record<string, string> | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return this.error(path, `must be a map, got ${typeOf(v)}`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
      else this.error(join(path, k), `must be a string, got ${typeOf(x)}`);
    }
    return out;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.error(path, `must be true or false, got ${typeOf(v)}`);
    return v;
  }
}

export const join = (path: string, key: string): string => (path ? (/^[A-Za-z_][\w]*$/.test(key) ? `${path}.${key}` : `${path}["${key}"]`) : key);

/** Values quoted in messages are cut short: a message is one line, not an echo of a megabyte. */
const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}...` : s);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** DNS-1123 label, as Kubernetes requires of names (and LLMOS of service names, which become container names). */
export const nameRule = { pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, patternHint: 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters' };
