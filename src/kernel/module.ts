// The shape of a module, after containerd's plugin Registration {Type, ID, Requires, Config, InitFn}.
import type { Logger } from 'pino';
import type { ModuleKind } from '../contracts/kinds.js';
import type { EventBus } from './events.js';
import type { WorkloadTable } from './workloads.js';
import type { ResourceLedger } from './ledger.js';
import type { HostProbe } from './probe.js';
import type { Reconciler } from './reconciler.js';
import type { KernelStatus, ModuleStatus } from '../contracts/system.js';

export interface KernelServices {
  readonly events: EventBus;
  readonly workloads: WorkloadTable;
  readonly ledger: ResourceLedger;
  readonly reconciler: Reconciler;
  readonly host: HostProbe;
}

/** Node introspection and run-time module control, for the modules that serve them (the API). */
export interface ModuleControl {
  status(): KernelStatus;
  modules(): ModuleStatus[];
  loadModule(name: string): Promise<ModuleStatus>;
  unloadModule(name: string): Promise<ModuleStatus>;
}

/** The node-wide listen addresses from config.json / `llmos up` flags (API and gateway). */
export interface NodeAddresses {
  readonly listen: string;
  readonly gateway: string;
  /** The Docker Engine API socket path ('' = the module's default). */
  readonly dockerSocket?: string;
}

/** Lookups of other modules by kind, limited to the kinds the module declares (requires + optional). */
export interface ModuleLookup {
  /**
   * Exactly one loaded module of this kind. Throws Internal for a kind the module did not declare,
   * NotFound when none is loaded, MultipleInstances when several are (containerd's GetSingle).
   */
  getSingle<T>(kind: ModuleKind): T;
  /** For an `optional` kind: the loaded module, or undefined when none is. */
  getOptional<T>(kind: ModuleKind): T | undefined;
  /** Like getSingle but resolves at call time, so a dependency reloaded later is still found. */
  lookup<T>(kind: ModuleKind): () => T;
}

export interface InitContext<Cfg> extends KernelServices, ModuleLookup {
  /** Defaults merged with the user's config for this module, frozen. */
  readonly config: Readonly<Cfg>;
  /** This module's own directory: <data-dir>/modules/<uri>. Created before init. */
  readonly dir: string;
  /** The LLMOS data directory. */
  readonly dataDir: string;
  readonly log: Logger;
  /** Introspection data published by the module (shown by `llmos modules`). */
  readonly meta: { exports: Record<string, unknown> };
  readonly addresses: NodeAddresses;
  readonly control: ModuleControl;
}

export interface ModuleDef<Cfg = unknown, Api = unknown> {
  readonly kind: ModuleKind;
  readonly id: string;
  /** Kinds that must be loaded first; the module cannot load without them, and they cannot unload under it. */
  readonly requires?: readonly ModuleKind[];
  /** Kinds the module uses when they are loaded; they may load and unload under it (see the hooks below). */
  readonly optional?: readonly ModuleKind[];
  /** One line for `llmos modules`. */
  readonly description?: string;
  readonly defaults?: Cfg;
  /** Validate and clamp the merged config; throw InvalidArgument on bad values. */
  validate?(config: Cfg): Cfg;
  init(ctx: InitContext<Cfg>): Api | Promise<Api>;
  /** Boot stage 5 (start-init) or a run-time load: start or re-adopt workloads. */
  start?(api: Api, signal: AbortSignal): Promise<void> | void;
  stop?(api: Api): Promise<void> | void;
  /** The last loaded module of an optional kind was unloaded: drop every reference to it. */
  onDependencyUnloaded?(api: Api, kind: ModuleKind): Promise<void> | void;
  /** A module of an optional kind was loaded at run time (after start-init): pick it up. */
  onDependencyLoaded?(api: Api, kind: ModuleKind): Promise<void> | void;
}

// Erases the generic parameters so registries can hold any module; `satisfies ModuleDef<C, A>` keeps checks at the definition.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModuleDef = ModuleDef<any, any>;

export const moduleUri = (m: Pick<ModuleDef, 'kind' | 'id'>): string => `${m.kind}.${m.id}`;
