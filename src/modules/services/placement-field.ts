// `spec.placement` of an llmos.io/v1 Service: the flag's string form
// ("prefer=cloud=private,burst=cloud=public") or the object form ({prefer: {...}, burst: {...}}).
import { labelSelectorProblem, parsePlacement, type ServicePlacement } from '../../contracts/placement.js';
import type { Fields } from './fields.js';

export function placementField(v: unknown, f: Fields, path: string): ServicePlacement | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const r = parsePlacement(v);
    return 'error' in r ? f.error(path, r.error) : r.value;
  }
  const o = f.obj(v, path, ['prefer', 'burst']);
  if (!o) return undefined;
  const side = (k: 'prefer' | 'burst'): Record<string, string> | undefined => {
    const sel = f.stringMap(o[k], `${path}.${k}`);
    const bad = sel && labelSelectorProblem(sel);
    return bad ? f.error(`${path}.${k}`, bad) : sel;
  };
  const prefer = side('prefer');
  const burst = side('burst');
  if (!prefer || !Object.keys(prefer).length) return f.error(`${path}.prefer`, 'required: the labels of the nodes to place on first, e.g. {llmos.io/cloud: private}');
  return { prefer, ...(burst && Object.keys(burst).length ? { burst } : {}) };
}
