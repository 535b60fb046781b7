// The workload table: every container, replica and function instance the node runs, with an
// explicit state machine that refuses illegal transitions.
import { AlreadyExists, FailedPrecondition, NotFound } from './errors.js';
import type { Resources, WorkloadState } from '../contracts/workloads.js';
import type { EventBus } from './events.js';

export type { Resources, WorkloadState };

const transitions: Record<WorkloadState, readonly WorkloadState[]> = {
  created: ['starting', 'exited', 'failed'],
  starting: ['running', 'stopping', 'exited', 'failed'],
  running: ['stopping', 'exited', 'failed'],
  stopping: ['exited', 'failed'],
  exited: ['starting'],
  failed: ['starting'],
};

export const canTransition = (from: WorkloadState, to: WorkloadState): boolean => transitions[from].includes(to);


export interface Workload {
  id: string;
  /** "container", "function-instance", ... */
  type: string;
  name: string;
  namespace: string;
  state: WorkloadState;
  /** Owner, e.g. "service/web" for a replica. */
  owner?: string;
  labels: Record<string, string>;
  requests: Resources;
  limits: Resources;
  createdAt: string;
  updatedAt: string;
  reason?: string;
  exitCode?: number;
}

export type NewWorkload = Pick<Workload, 'id' | 'type' | 'name'> & Partial<Omit<Workload, 'id' | 'type' | 'name' | 'state' | 'createdAt' | 'updatedAt'>> & { state?: WorkloadState };

export class WorkloadTable {
  private readonly rows = new Map<string, Workload>();

  constructor(private readonly events?: EventBus, private readonly now: () => Date = () => new Date()) {}

  add(w: NewWorkload): Workload {
    if (this.rows.has(w.id)) throw new AlreadyExists(`workload ${w.id} already exists`);
    const t = this.now().toISOString();
    const row: Workload = {
      namespace: 'default',
      labels: {},
      requests: {},
      limits: {},
      ...w,
      state: w.state ?? 'created',
      createdAt: t,
      updatedAt: t,
    };
    this.rows.set(row.id, row);
    this.events?.publish({ topic: `/workloads/${row.state}`, subject: `${row.type}/${row.name}`, namespace: row.namespace, message: `${row.type} ${row.name} ${row.state}` });
    return { ...row };
  }

  get(id: string): Workload {
    const w = this.rows.get(id);
    if (!w) throw new NotFound(`workload ${id} not found`);
    return { ...w };
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  list(filter: { type?: string; owner?: string; namespace?: string; state?: WorkloadState } = {}): Workload[] {
    return [...this.rows.values()]
      .filter((w) => (!filter.type || w.type === filter.type) && (!filter.owner || w.owner === filter.owner) && (!filter.namespace || w.namespace === filter.namespace) && (!filter.state || w.state === filter.state))
      .map((w) => ({ ...w }));
  }

  transition(id: string, to: WorkloadState, detail: { reason?: string; exitCode?: number } = {}): Workload {
    const w = this.rows.get(id);
    if (!w) throw new NotFound(`workload ${id} not found`);
    if (w.state === to) return { ...w };
    if (!canTransition(w.state, to)) throw new FailedPrecondition(`workload ${id}: illegal transition ${w.state} -> ${to}`);
    w.state = to;
    w.updatedAt = this.now().toISOString();
    w.reason = detail.reason;
    if (detail.exitCode !== undefined) w.exitCode = detail.exitCode;
    this.events?.publish({
      topic: `/workloads/${to}`,
      subject: `${w.type}/${w.name}`,
      namespace: w.namespace,
      message: `${w.type} ${w.name} ${to}${detail.reason ? `: ${detail.reason}` : ''}`,
      data: detail.exitCode !== undefined ? { exitCode: detail.exitCode } : undefined,
    });
    return { ...w };
  }

  remove(id: string): void {
    const w = this.rows.get(id);
    if (!w) return;
    this.rows.delete(id);
    this.events?.publish({ topic: '/workloads/removed', subject: `${w.type}/${w.name}`, namespace: w.namespace, message: `${w.type} ${w.name} removed` });
  }
}
