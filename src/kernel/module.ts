// The shape of a module, after containerd's plugin Registration {Type, ID, Requires, Config, InitFn}.
import type { Logger } from 'pino';
import type { ModuleKind } from '../contracts/kinds.js';
import type { EventBus } from './events.js';
import type { WorkloadTable } from './workloads.js';
import type { ResourceLedger } from './ledger.js';
import type { HostProbe } from './probe.js';
import type { Reconciler } from './reconciler.js';
import type { KernelHandle } from './kernel.js';

export interface KernelServices {
  readonly events: EventBus;
  readonly workloads: WorkloadTable;
  readonly ledger: ResourceLedger;
  readonly reconciler: Reconciler;
  readonly host: HostProbe;
}

export interface InitContext<Cfg> extends KernelServices {
  /** Defaults merged with the user's config for this module, frozen. */
  readonly config: Readonly<Cfg>;
  /** This module's own directory: <data-dir>/modules/<uri>. Created before init. */
  readonly dir: string;
  /** The LLMOS data directory. */
  readonly dataDir: string;
  readonly log: Logger;
  /** Exactly one loaded module of this kind, or NotFound / FailedPrecondition (multiple). */
  getSingle<T>(kind: ModuleKind): T;
  /** Like getSingle but resolves at call time, so a dependency reloaded later is still found. */
  lookup<T>(kind: ModuleKind): () => T;
  /** Introspection data published by the module (shown by `llmos modules`). */
  readonly meta: { exports: Record<string, unknown> };
  /** Kernel introspection and module control, for the modules that serve them (API, gateway). */
  readonly kernel: KernelHandle;
}

export interface ModuleDef<Cfg = unknown, Api = unknown> {
  readonly kind: ModuleKind;
  readonly id: string;
  readonly requires?: readonly ModuleKind[];
  /** One line for `llmos modules`. */
  readonly description?: string;
  readonly defaults?: Cfg;
  /** Validate and clamp the merged config; throw InvalidArgument on bad values. */
  validate?(config: Cfg): Cfg;
  init(ctx: InitContext<Cfg>): Api | Promise<Api>;
  /** Boot stage 5 (start-init) or a run-time load: start or re-adopt workloads. */
  start?(api: Api, signal: AbortSignal): Promise<void> | void;
  stop?(api: Api): Promise<void> | void;
}

// Erases the generic parameters so registries can hold any module; `satisfies ModuleDef<C, A>` keeps checks at the definition.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModuleDef = ModuleDef<any, any>;

export const moduleUri = (m: Pick<ModuleDef, 'kind' | 'id'>): string => `${m.kind}.${m.id}`;
