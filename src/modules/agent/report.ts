// What an agent reports of its machine: capacity from the host probe and the resource ledger,
// the runtimes it has, and the images it holds (so placement can prefer nodes that have them).
import type { NodeReport } from '../../contracts/cluster.js';
import type { ImagesApi } from '../../contracts/images.js';
import type { KernelServices } from '../../kernel/module.js';
import { LLMOS_VERSION } from '../../kernel/kernel.js';

export async function nodeReport(k: KernelServices, images: ImagesApi | undefined, functions: boolean): Promise<NodeReport> {
  const cap = k.ledger.capacity;
  const alloc = k.ledger.allocatable();
  const used = k.ledger.allocated();
  const runtimes = [...(k.host.binaries.runc.path ? ['runc'] : []), ...(functions ? ['isolate'] : [])];
  const held = images ? (await images.list().catch(() => [])).flatMap((i) => i.repoTags) : [];
  return {
    capacity: { cpu: cap.cpu, memory: cap.memory },
    allocatable: { cpu: Math.max(0, alloc.cpu), memory: Math.max(0, alloc.memory) },
    allocated: { cpu: used.cpu, memory: used.memory },
    runtimes,
    images: held.slice(0, 10_000),
    workloads: k.ledger.list().length,
    agentVersion: LLMOS_VERSION,
  };
}
