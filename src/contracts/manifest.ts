// The manifest wire format (`llmos apply -f`, `POST /v1/apply`): text -> documents, with limits.
// Apply takes YAML from the API token holder's files, which may come from anywhere, so a
// billion-laughs alias bomb, a huge or deeply nested document or a million tiny ones is refused
// with the reason (ManifestRejected) before it costs memory. The CLI splits files with it; the
// services module and the API see the refusals as InvalidArgument (contracts import no kernel).
import { parseAllDocuments } from 'yaml';

export const MANIFEST_LIMITS = {
  /** Bytes of manifest text in one apply (Kubernetes stores objects up to ~1.5 MB each). */
  bytes: 4 * 2 ** 20,
  documents: 1000,
  /** Alias expansions per document (the yaml package's resource-exhaustion guard). */
  aliases: 100,
  /** Nesting of objects and lists in one document. */
  depth: 64,
  /** Values (objects, lists, scalars) across all documents, with aliases expanded. */
  nodes: 100_000,
  /** Characters in strings and keys across all documents, with aliases expanded. */
  chars: 16 * 2 ** 20,
} as const;

/** A manifest refused for its shape or size; the message says why ("FILE: more than 1000 documents"). */
export class ManifestRejected extends Error {
  override readonly name = 'ManifestRejected';
}

/** Splits YAML or JSON text (multi-document YAML, a JSON object, a JSON list, or a v1 List) into documents. */
export function splitDocuments(text: string, source = 'input'): unknown[] {
  if (typeof text !== 'string') throw new ManifestRejected(`${source}: must be text`);
  const size = Buffer.byteLength(text);
  if (size > MANIFEST_LIMITS.bytes) throw new ManifestRejected(`${source}: ${size} bytes is more than the ${MANIFEST_LIMITS.bytes / 2 ** 20} MiB a manifest may have`);
  const t = text.trim();
  if (!t) return [];
  if (t.startsWith('{') || t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t) as unknown;
    } catch {
      /* not JSON: YAML flow style is a superset, parse it as YAML below */
    }
    if (v !== undefined) return checkDocuments(flattenLists([v]), source);
  }
  // Count document markers before parsing, so a million empty documents cost nothing.
  const markers = (t.match(/^(---|\.\.\.)/gm) ?? []).length;
  if (markers > MANIFEST_LIMITS.documents) throw new ManifestRejected(`${source}: more than ${MANIFEST_LIMITS.documents} documents`);
  // And values: each needs a separator (a comma or a line break). The yaml parser costs about
  // 10 us per value on this event loop, so 4 MiB of "[1,1,1,...]" would block it for seconds.
  const separators = (t.match(/[,\n]/g) ?? []).length;
  if (separators > MANIFEST_LIMITS.nodes) throw new ManifestRejected(`${source}: more than ${MANIFEST_LIMITS.nodes} values`);
  const out: unknown[] = [];
  try {
    const docs = parseAllDocuments(t, { prettyErrors: false });
    for (const d of Array.isArray(docs) ? docs : [docs]) {
      if (d.errors.length) throw new ManifestRejected(`${source}: ${d.errors[0]!.message.split('\n')[0]}`);
      const v = d.toJS({ maxAliasCount: MANIFEST_LIMITS.aliases }) as unknown;
      if (v !== null && v !== undefined) out.push(v);
    }
  } catch (e) {
    if (e instanceof ManifestRejected) throw e;
    // yaml throws ReferenceError for an alias bomb, RangeError when its recursion runs out of stack.
    const why = e instanceof ReferenceError && /alias/i.test(e.message) ? `too many YAML aliases (at most ${MANIFEST_LIMITS.aliases} expansions per document)` : e instanceof RangeError ? 'nested too deeply' : (e as Error).message;
    throw new ManifestRejected(`${source}: ${why}`);
  }
  return checkDocuments(flattenLists(out), source);
}

/** Lists (a JSON list, a v1 List) become their items; iterative so nesting cannot exhaust the stack. */
function flattenLists(docs: unknown[]): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [...docs].reverse();
  while (stack.length) {
    if (out.length > MANIFEST_LIMITS.documents) break; // reported by checkDocuments
    const d = stack.pop();
    if (Array.isArray(d)) for (let i = d.length - 1; i >= 0; i--) stack.push(d[i]);
    else if (d && typeof d === 'object' && (d as { kind?: unknown }).kind === 'List' && Array.isArray((d as { items?: unknown }).items)) stack.push((d as { items: unknown[] }).items);
    else out.push(d);
  }
  return out;
}

/**
 * Refuses too many documents, and documents too deep or too large once aliases are expanded
 * (an alias is one object referenced many times: cheap to hold, but every later step, from the
 * JSON body the CLI sends to the store, writes it out in full). Iterative, with an early exit.
 */
export function checkDocuments(docs: unknown[], source = 'input'): unknown[] {
  if (docs.length > MANIFEST_LIMITS.documents) throw new ManifestRejected(`${source}: more than ${MANIFEST_LIMITS.documents} documents`);
  let nodes = 0;
  let chars = 0;
  const stack: Array<[unknown, number]> = docs.map((d) => [d, 1]);
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > MANIFEST_LIMITS.nodes) throw new ManifestRejected(`${source}: more than ${MANIFEST_LIMITS.nodes} values (with YAML aliases expanded)`);
    if (typeof v === 'string') chars += v.length;
    else if (v && typeof v === 'object') {
      if (depth > MANIFEST_LIMITS.depth) throw new ManifestRejected(`${source}: nested more than ${MANIFEST_LIMITS.depth} levels deep`);
      if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
      else
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          chars += k.length;
          stack.push([x, depth + 1]);
        }
    }
    if (chars > MANIFEST_LIMITS.chars) throw new ManifestRejected(`${source}: more than ${MANIFEST_LIMITS.chars / 2 ** 20} Mi characters of text (with YAML aliases expanded)`);
  }
  return docs;
}
