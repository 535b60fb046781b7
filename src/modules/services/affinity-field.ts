// A Deployment pod spec's placement constraints for cluster mode (issue 19): `affinity.nodeAffinity.
// requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions` (In, NotIn,
// Exists, DoesNotExist, Gt, Lt) and `nodeSelector`, read into one required node affinity (a
// nodeSelector's labels are added to every term, as Kubernetes requires both). Preferred affinity,
// matchFields and pod (anti-)affinity are not supported: warned and ignored.
import { nodeAffinityProblem, type AffinityExpression } from '../../contracts/placement.js';
import type { NodeAffinity } from '../../contracts/scheduler.js';
import type { Fields } from './fields.js';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;

export function podNodeAffinity(pod: Record<string, unknown> | undefined, f: Fields, path: string): NodeAffinity | undefined {
  if (!pod) return undefined;
  const selector = f.stringMap(pod.nodeSelector, `${path}.nodeSelector`);
  const a = f.obj(pod.affinity, `${path}.affinity`, ['nodeAffinity']);
  const na = f.obj(a?.nodeAffinity, `${path}.affinity.nodeAffinity`, ['requiredDuringSchedulingIgnoredDuringExecution']);
  const reqPath = `${path}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
  const req = f.obj(na?.requiredDuringSchedulingIgnoredDuringExecution, reqPath, ['nodeSelectorTerms']);
  const terms: Array<{ matchExpressions: AffinityExpression[] }> = [];
  f.arr(req?.nodeSelectorTerms, `${reqPath}.nodeSelectorTerms`, { required: !!req, min: 1, max: 16 })?.forEach((t, i) => {
    const tp = `${reqPath}.nodeSelectorTerms[${i}]`;
    const o = f.obj(t, tp, ['matchExpressions']);
    const exprs: AffinityExpression[] = [];
    f.arr(o?.matchExpressions, `${tp}.matchExpressions`, { required: !!o, min: 1, max: 32 })?.forEach((e, j) => {
      const ep = `${tp}.matchExpressions[${j}]`;
      const x = f.obj(e, ep, ['key', 'operator', 'values']);
      if (!x) return;
      const key = f.str(x.key, `${ep}.key`, { required: true });
      const operator = f.str(x.operator, `${ep}.operator`, { required: true, oneOf: OPERATORS }) as AffinityExpression['operator'] | undefined;
      const values = f.strings(x.values, `${ep}.values`);
      if (key !== undefined && operator !== undefined) exprs.push({ key, operator, ...(values ? { values } : {}) });
    });
    if (exprs.length) terms.push({ matchExpressions: exprs });
  });
  const fromSelector = Object.entries(selector ?? {}).map(([key, v]): AffinityExpression => ({ key, operator: 'In', values: [v] }));
  if (!terms.length && !fromSelector.length) return undefined;
  const all = terms.length ? terms.map((t) => ({ matchExpressions: [...t.matchExpressions, ...fromSelector] })) : [{ matchExpressions: fromSelector }];
  const bad = nodeAffinityProblem(all);
  if (bad) return f.error(terms.length ? reqPath : `${path}.nodeSelector`, bad.replace(/^nodeSelectorTerms\[\d+\]\./, ''));
  return { required: all };
}
