// A service's hybrid placement (`llmos service create --placement prefer=cloud=private,burst=cloud=public`,
// or `spec.placement` in a manifest): replicas go to nodes matching `prefer` while one fits, then to
// nodes matching `burst` (every other node when burst is not given). Pure and dependency-free, so
// the CLI checks the flag with the same code the services module validates a manifest with.
//   placement := clause (',' clause)*;  clause := ('prefer' | 'burst') '=' KEY '=' VALUE
// A side given twice needs both labels (`prefer=cloud=private,prefer=zone=a`). A KEY without a
// prefix also matches the same key under llmos.io/ on a node (`cloud` matches llmos.io/cloud).

export interface ServicePlacement {
  prefer: Record<string, string>;
  burst?: Record<string, string>;
}

const MAX_LEN = 1024;
// Kubernetes label syntax: an optional DNS-subdomain prefix and a name of at most 63 characters.
const KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const EXAMPLE = 'expected prefer=KEY=VALUE[,burst=KEY=VALUE], e.g. prefer=cloud=private,burst=cloud=public';

const clip = (s: string): string => (s.length > 60 ? `${s.slice(0, 60)}...` : s);

/** Checks one label selector map (from a manifest's object form); the first problem, or undefined. */
export function labelSelectorProblem(sel: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(sel)) {
    if (!KEY.test(k)) return `"${clip(k)}" is not a label key (letters, digits, "-", "_", ".", at most 63, optionally prefixed by a DNS name and "/")`;
    if (!VALUE.test(v)) return `label ${k}: "${clip(v)}" is not a label value (letters, digits, "-", "_", ".", at most 63)`;
  }
  return undefined;
}

/** Parses the flag form; a one-line message for anything else. */
export function parsePlacement(text: string): { value: ServicePlacement } | { error: string } {
  if (text.length > MAX_LEN) return { error: `placement is longer than ${MAX_LEN} characters` };
  const prefer: Record<string, string> = {};
  const burst: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const clause = raw.trim();
    const m = /^(prefer|burst)=([^=]*)=(.*)$/.exec(clause);
    if (!m) return { error: `placement "${clip(clause)}": ${EXAMPLE}` };
    const side = m[1] === 'prefer' ? prefer : burst;
    const key = m[2]!.trim();
    const value = m[3]!.trim();
    const bad = labelSelectorProblem({ [key]: value });
    if (bad) return { error: `placement ${m[1]}: ${bad}` };
    if (side[key] !== undefined && side[key] !== value) return { error: `placement ${m[1]}: label ${key} given twice (${side[key]}, ${value})` };
    side[key] = value;
  }
  if (!Object.keys(prefer).length) return { error: `placement "${clip(text)}" has no prefer=: ${EXAMPLE}` };
  return { value: { prefer, ...(Object.keys(burst).length ? { burst } : {}) } };
}

/** The flag form of a placement (for display). */
export function formatPlacement(p: ServicePlacement): string {
  const side = (name: string, sel: Record<string, string> = {}) => Object.entries(sel).map(([k, v]) => `${name}=${k}=${v}`);
  return [...side('prefer', p.prefer), ...side('burst', p.burst)].join(',');
}

/** Whether a node's labels match a selector; a key without a prefix also matches it under llmos.io/. */
export function matchesSelector(labels: Readonly<Record<string, string>>, sel: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel)) {
    const have = labels[k] ?? (k.includes('/') ? undefined : labels[`llmos.io/${k}`]);
    if (have !== v) return false;
  }
  return true;
}

/** One expression of a node affinity term (Kubernetes' NodeSelectorRequirement). */
export interface AffinityExpression {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** The first problem of a node affinity's terms (values where the operator needs them, and only there), or undefined. */
export function nodeAffinityProblem(terms: ReadonlyArray<{ matchExpressions: readonly AffinityExpression[] }>): string | undefined {
  for (const [i, t] of terms.entries()) {
    for (const [j, e] of t.matchExpressions.entries()) {
      const at = `nodeSelectorTerms[${i}].matchExpressions[${j}]`;
      if (!KEY.test(e.key)) return `${at}.key: "${clip(e.key)}" is not a label key`;
      const n = e.values?.length ?? 0;
      if ((e.operator === 'In' || e.operator === 'NotIn') && !n) return `${at}: operator ${e.operator} needs values`;
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n) return `${at}: operator ${e.operator} takes no values`;
      if ((e.operator === 'Gt' || e.operator === 'Lt') && (n !== 1 || !/^-?\d{1,15}$/.test(e.values![0]!))) return `${at}: operator ${e.operator} needs one integer value`;
      const bad = e.values?.find((v) => !VALUE.test(v));
      if (bad !== undefined) return `${at}.values: "${clip(bad)}" is not a label value`;
    }
  }
  return undefined;
}

/** Whether a node's labels satisfy a node affinity: any term, every expression of it (unprefixed keys also under llmos.io/). */
export function matchesNodeAffinity(labels: Readonly<Record<string, string>>, terms: ReadonlyArray<{ matchExpressions: readonly AffinityExpression[] }>): boolean {
  return terms.some((t) => t.matchExpressions.every((e) => matchesExpression(labels, e)));
}

function matchesExpression(labels: Readonly<Record<string, string>>, e: AffinityExpression): boolean {
  const have = labels[e.key] ?? (e.key.includes('/') ? undefined : labels[`llmos.io/${e.key}`]);
  switch (e.operator) {
    case 'In': return have !== undefined && (e.values ?? []).includes(have);
    case 'NotIn': return have === undefined || !(e.values ?? []).includes(have);
    case 'Exists': return have !== undefined;
    case 'DoesNotExist': return have === undefined;
    case 'Gt':
    case 'Lt': {
      // Kubernetes: the label must parse as an integer; otherwise no match.
      if (have === undefined || !/^-?\d{1,15}$/.test(have)) return false;
      const a = Number(have);
      const b = Number(e.values?.[0]);
      return e.operator === 'Gt' ? a > b : a < b;
    }
  }
}

/** A node affinity in one line, for messages: `zone In (a,b); disk Exists` (terms joined by " or "). */
export function formatNodeAffinity(terms: ReadonlyArray<{ matchExpressions: readonly AffinityExpression[] }>): string {
  return terms.map((t) => t.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`).join('; ')).join(' or ');
}
