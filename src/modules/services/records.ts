// How a stored service changes when a new spec arrives (apply, update, scale). Pure.
import { sameJson, shortHash } from './hash.js';
import type { ReplicaTemplate, ServiceRecord, ServiceSpec } from './types.js';

export const templateHash = (t: ReplicaTemplate): string => shortHash(t);

export interface SpecChange {
  record: ServiceRecord;
  action: 'created' | 'configured' | 'unchanged';
  /** The template changed: a rolling update starts. */
  rollout: boolean;
}

/**
 * The record after writing `spec`. A new template starts a rollout whose rollback target is the
 * last template that completed (not a template that was itself still rolling out).
 */
export function withSpec(prev: ServiceRecord | undefined, next: { name: string; namespace: string; labels: Record<string, string>; spec: ServiceSpec; source: ServiceRecord['source'] }, now: string): SpecChange {
  const hash = templateHash(next.spec.template);
  if (!prev) {
    const record: ServiceRecord = { name: next.name, namespace: next.namespace, labels: next.labels, spec: next.spec, templateHash: hash, generation: 1, createdAt: now, updatedAt: now, source: next.source };
    return { record, action: 'created', rollout: false };
  }
  if (sameJson(prev.spec, next.spec) && sameJson(prev.labels, next.labels)) return { record: prev, action: 'unchanged', rollout: false };
  let rollout = prev.rollout;
  const templateChanged = hash !== prev.templateHash;
  if (templateChanged) {
    const stable = prev.rollout?.phase === 'progressing' ? { hash: prev.rollout.fromHash, template: prev.rollout.fromTemplate } : { hash: prev.templateHash, template: prev.spec.template };
    rollout =
      stable.hash && stable.hash !== hash && stable.template
        ? { phase: 'progressing', toHash: hash, fromHash: stable.hash, fromTemplate: stable.template, startedAt: now }
        : { phase: 'progressing', toHash: hash, startedAt: now };
  }
  const record: ServiceRecord = { ...prev, labels: next.labels, spec: next.spec, templateHash: hash, generation: prev.generation + 1, updatedAt: now, source: next.source, ...(rollout ? { rollout } : {}) };
  return { record, action: 'configured', rollout: templateChanged };
}

/** The record after the current rollout failed: back to the template it came from. */
export function rolledBack(r: ServiceRecord, reason: string, now: string): ServiceRecord {
  const ro = r.rollout;
  if (!ro?.fromTemplate || !ro.fromHash) return r;
  return {
    ...r,
    spec: { ...r.spec, template: ro.fromTemplate },
    templateHash: ro.fromHash,
    generation: r.generation + 1,
    updatedAt: now,
    rollout: { phase: 'rolled-back', toHash: ro.toHash, fromHash: ro.fromHash, startedAt: ro.startedAt, finishedAt: now, reason },
  };
}

export function rolloutComplete(r: ServiceRecord, now: string): ServiceRecord {
  if (r.rollout?.phase !== 'progressing') return r;
  const { fromTemplate: _drop, ...ro } = r.rollout;
  return { ...r, rollout: { ...ro, phase: 'complete', finishedAt: now } };
}
