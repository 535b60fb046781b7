// A compare-and-swap update of a service record that only applies to the state the decision was
// made from: a newer user change (template or generation) wins, and a lost race is retried.
import type { StateStore } from '../../contracts/state-store.js';
import { Conflict } from '../../kernel/errors.js';
import { serviceKey, type ServiceRecord } from './types.js';

export async function updateRecord(store: StateStore, rec: ServiceRecord, fn: (r: ServiceRecord) => ServiceRecord): Promise<ServiceRecord | undefined> {
  const key = serviceKey(rec.namespace, rec.name);
  for (let i = 0; i < 5; i++) {
    const kv = await store.get<ServiceRecord>(key);
    if (!kv) return undefined;
    if (kv.value.templateHash !== rec.templateHash || kv.value.generation !== rec.generation) return kv.value;
    const next = fn(kv.value);
    try {
      await store.put(key, next, { prevRevision: kv.modRevision });
      return next;
    } catch (e) {
      if (!(e instanceof Conflict)) throw e;
    }
  }
  return undefined;
}
