// A service's toleration of an unreachable node (issue 20), from a manifest: the LLMOS Service's
// `spec.tolerateUnreachable` ("24h", 86400, or "never", as OpenYurt's autonomy), or a Deployment's
// pod tolerations of Kubernetes' node.kubernetes.io/unreachable and not-ready NoExecute taints
// (tolerationSeconds; without it: tolerated for good). Absent: the server's --eviction-timeout.
import { errorMessage } from '../../kernel/errors.js';
import { MAX_DURATION_MS, parseDuration } from '../../kernel/quantity.js';
import type { Fields } from './fields.js';

export type Toleration = number | 'never';

const MAX_S = MAX_DURATION_MS / 1000;

/** `spec.tolerateUnreachable`: seconds, a duration ("90s", "24h") or "never". */
export function llmosToleration(v: unknown, f: Fields, path: string): Toleration | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'never') return 'never';
  if (typeof v === 'number') return f.int(v, path, { min: 0, max: MAX_S });
  if (typeof v !== 'string') return f.error(path, 'must be a duration like 90s or 24h, a number of seconds, or "never"');
  try {
    return Math.ceil(parseDuration(v, path) / 1000);
  } catch (e) {
    return f.error(path, `${errorMessage(e)}, or "never"`);
  }
}


const NODE_GONE = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

/**
 * A pod spec's `tolerations`: the shortest toleration of the two node-gone taints, as Kubernetes
 * evicts on whichever is not tolerated first. Only those taints matter to LLMOS; others are ignored.
 */
export function podToleration(v: unknown, f: Fields, path: string): Toleration | undefined {
  const list = f.arr(v, path, { max: 64 });
  if (!list) return undefined;
  const per = new Map<string, Toleration>();
  list.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const o = f.obj(t, p, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    if (!o) return;
    const key = f.str(o.key, `${p}.key`) ?? '';
    const op = f.str(o.operator, `${p}.operator`, { oneOf: ['Exists', 'Equal'] }) ?? 'Equal';
    const effect = f.str(o.effect, `${p}.effect`, { oneOf: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] });
    const secs = f.int(o.tolerationSeconds, `${p}.tolerationSeconds`, { min: 0, max: MAX_S });
    // An empty key with Exists tolerates every taint (Kubernetes).
    const keys = key === '' && op === 'Exists' ? NODE_GONE : NODE_GONE.includes(key) ? [key] : [];
    if (!keys.length || (effect && effect !== 'NoExecute')) {
      if (key && !NODE_GONE.includes(key)) f.warn(p, `only the ${NODE_GONE.join(' and ')} tolerations are used by LLMOS; ignored`);
      return;
    }
    for (const k of keys) per.set(k, secs ?? 'never');
  });
  if (!per.size) return undefined;
  // A taint not tolerated at all is evicted on the server's default: not known here, so only a full pair decides alone.
  const vals = NODE_GONE.map((k) => per.get(k));
  const finite = vals.filter((x): x is number => typeof x === 'number');
  if (finite.length) return Math.min(...finite);
  return vals.every((x) => x === 'never') ? 'never' : undefined;
}
