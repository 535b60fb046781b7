// The resource ledger: node capacity, what is reserved for the system, and the allocations of
// workloads. An allocation that does not fit is refused with the reason.
import { AlreadyExists, ResourceExhausted } from './errors.js';
import type { Capacity } from '../contracts/system.js';
import type { Resources } from './workloads.js';

export type { Capacity };
import { formatAmount } from './quantity.js';

const dims = ['cpu', 'memory', 'pids'] as const;

const dimName: Record<keyof Capacity, string> = { cpu: 'CPU', memory: 'memory', pids: 'pids' };

export class ResourceLedger {
  private readonly allocations = new Map<string, Resources>();

  constructor(
    readonly capacity: Capacity,
    readonly reserved: Capacity = { cpu: 0, memory: 0, pids: 0 },
  ) {}

  allocatable(): Capacity {
    return { cpu: this.capacity.cpu - this.reserved.cpu, memory: this.capacity.memory - this.reserved.memory, pids: this.capacity.pids - this.reserved.pids };
  }

  allocated(): Capacity {
    const sum: Capacity = { cpu: 0, memory: 0, pids: 0 };
    for (const a of this.allocations.values()) for (const d of dims) sum[d] += a[d] ?? 0;
    return sum;
  }

  free(): Capacity {
    const a = this.allocatable();
    const u = this.allocated();
    return { cpu: a.cpu - u.cpu, memory: a.memory - u.memory, pids: a.pids - u.pids };
  }

  /** Why `req` does not fit, or undefined when it does. */
  whyNotFit(req: Resources): string | undefined {
    const free = this.free();
    for (const d of dims) {
      const want = req[d] ?? 0;
      if (want > free[d]) return `needs ${formatAmount(d, want)} ${dimName[d]}, node has ${formatAmount(d, Math.max(0, free[d]))} allocatable free`;
    }
    return undefined;
  }

  allocate(id: string, req: Resources): void {
    if (this.allocations.has(id)) throw new AlreadyExists(`allocation ${id} already exists`);
    const why = this.whyNotFit(req);
    if (why) throw new ResourceExhausted(why);
    this.allocations.set(id, { ...req });
  }

  release(id: string): void {
    this.allocations.delete(id);
  }

  list(): Array<{ id: string } & Resources> {
    return [...this.allocations].map(([id, r]) => ({ id, ...r }));
  }
}
