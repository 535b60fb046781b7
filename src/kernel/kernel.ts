// The microkernel: boots in five timed stages, owns the kernel services (event bus, workload
// table, resource ledger, reconcile loop) and loads and unloads modules at run time.
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { Kinds, type ModuleKind } from '../contracts/kinds.js';
import type { StateStore } from '../contracts/state-store.js';
import { readConfig, defaultConfig, type LlmosConfig } from './config.js';
import { FailedPrecondition, NotFound, SkipModule, errorMessage } from './errors.js';
import { EventBus } from './events.js';
import { ResourceLedger } from './ledger.js';
import { declaredLookup, singleOf } from './lookup.js';
import { moduleUri, type AnyModuleDef, type InitContext, type KernelServices, type ModuleControl } from './module.js';
import { probeHost, type HostProbe } from './probe.js';
import { Reconciler } from './reconciler.js';
import { loadAtRunTime, ofKind, unloadAtRunTime, unloadedKey, type ModuleTable } from './run-time.js';
import { Registry, shortName } from './registry.js';
import { moduleStatusOf } from './status.js';
import type { BootStage, KernelStatus, ModuleState, ModuleStatus, StageTiming } from '../contracts/system.js';
import { WorkloadTable } from './workloads.js';
import { LLMOS_VERSION } from '../version.js';

export { defaultConfig, type LlmosConfig } from './config.js';
// The status types are the system contract's (the API serves them, the CLI reads them).
export { bootStages, type BootStage, type KernelStatus, type ModuleState, type ModuleStatus, type StageTiming } from '../contracts/system.js';

interface Loaded {
  def: AnyModuleDef;
  api: unknown;
  exports: Record<string, unknown>;
  initMs: number;
  controller: AbortController;
}

export interface KernelOptions {
  dataDir: string;
  registry: Registry;
  log: Logger;
  /** Overrides on top of <data-dir>/config.json. */
  config?: Partial<LlmosConfig>;
  /** Module names (short name or uri) whose failure aborts boot and that cannot be unloaded. */
  required?: string[];
  probe?: () => Promise<HostProbe>;
  /** Boot start, for a timeline that includes process start-up (defaults to kernel creation). */
  t0?: number;
}

// The version is package.json's (src/version.ts); re-exported here for existing importers.
export { LLMOS_VERSION };

export class Kernel implements KernelServices, ModuleControl {
  readonly events = new EventBus();
  readonly workloads = new WorkloadTable(this.events);
  ledger = new ResourceLedger({ cpu: 0, memory: 0, pids: 0 });
  readonly reconciler: Reconciler;
  host!: HostProbe;
  config: LlmosConfig = defaultConfig;
  readonly dataDir: string;

  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly required: Set<string>;
  private readonly loaded = new Map<string, Loaded>();
  private readonly notLoaded = new Map<string, { state: ModuleState; reason: string }>();
  private readonly timeline: StageTiming[] = [];
  private readonly t0: number;
  private startedAt = new Date();
  private stopping = false;
  private stoppingNow: string | undefined;
  /** What a module may do to the kernel: a facade, so the context hands out no kernel object. */
  private readonly control: ModuleControl = {
    status: () => this.status(),
    modules: () => this.modules(),
    loadModule: (name) => this.loadModule(name),
    unloadModule: (name) => this.unloadModule(name),
  };

  constructor(private readonly opts: KernelOptions) {
    this.dataDir = opts.dataDir;
    this.registry = opts.registry;
    this.log = opts.log;
    this.reconciler = new Reconciler(opts.log.child({ c: 'reconciler' }));
    this.t0 = opts.t0 ?? performance.now();
    this.required = new Set((opts.required ?? []).map((n) => this.def(n)).map(moduleUri));
  }

  // ---- boot ---------------------------------------------------------------------------------

  async boot(): Promise<KernelStatus> {
    this.startedAt = new Date();
    await this.stage('load-image', async () => {
      await privateDir(path.join(this.dataDir, 'modules'));
      this.config = await readConfig(this.dataDir, this.opts.config);
      // The state store holds the persisted image of the node, so it opens with the config.
      for (const def of this.registry.all().filter((d) => d.kind === Kinds.stateStore && this.enabled(d))) await this.initModule(def);
      const prefs = await this.storeOrNull()?.list<{ enabled: boolean }>(unloadedKey(''));
      for (const kv of prefs?.items ?? []) if (!kv.value.enabled) this.notLoaded.set(kv.key.slice(unloadedKey('').length), { state: 'unloaded', reason: 'unloaded by the user' });
      return `config ${Object.keys(this.config.modules).length ? 'with module settings' : 'defaults'}, store ${this.storeOrNull()?.backend ?? 'none'} at revision ${(await this.storeOrNull()?.revision()) ?? 0}`;
    });
    await this.stage('probe-hardware', async () => {
      this.host = await (this.opts.probe ?? probeHost)();
      this.ledger = new ResourceLedger(
        { cpu: this.host.cpus * 1000, memory: this.host.memoryBytes, pids: 32768 },
        { cpu: this.config.reserved.cpu, memory: this.config.reserved.memory, pids: 0 },
      );
      return `${this.host.cpus} CPUs, ${(this.host.memoryBytes / 2 ** 30).toFixed(1)} GiB, cgroup ${this.host.cgroup.version}, runc ${this.host.binaries.runc.version ?? 'absent'}`;
    });
    await this.stage('start-kernel-services', async () => {
      // Event history is kept in the store by the events-store module (src/modules/events-store/).
      this.reconciler.start();
      return 'event bus, workload table, resource ledger, reconcile loop';
    });
    await this.stage('load-modules', async () => {
      for (const def of this.registry.graph()) {
        if (this.loaded.has(moduleUri(def)) || !this.enabled(def)) continue;
        await this.initModule(def);
      }
      return `${this.loaded.size} loaded, ${[...this.notLoaded.values()].filter((n) => n.state === 'skipped' || n.state === 'failed').length} skipped`;
    });
    await this.stage('start-init', async () => {
      for (const def of this.registry.graph()) {
        const l = this.loaded.get(moduleUri(def));
        if (l) await this.startModule(l);
      }
      return `${this.workloads.list().length} workloads`;
    });
    this.events.publish({ topic: '/kernel/booted', message: `booted in ${this.bootTotalMs().toFixed(1)} ms` });
    return this.status();
  }

  private async stage(stage: BootStage, fn: () => Promise<string>): Promise<void> {
    const start = performance.now();
    const detail = await fn();
    const t: StageTiming = { stage, startMs: round(start - this.t0), durationMs: round(performance.now() - start), detail };
    this.timeline.push(t);
    this.log.debug({ stage, durationMs: t.durationMs }, `boot ${stage}: ${t.durationMs.toFixed(1)} ms (${detail})`);
  }

  private bootTotalMs(): number {
    const last = this.timeline.at(-1);
    return last ? round(last.startMs + last.durationMs) : 0;
  }

  private moduleConfig(def: AnyModuleDef): Record<string, unknown> & { enabled?: boolean } {
    return { ...(this.config.modules[shortName(def)] ?? {}), ...(this.config.modules[moduleUri(def)] ?? {}) };
  }

  private enabled(def: AnyModuleDef): boolean {
    const uri = moduleUri(def);
    if (this.moduleConfig(def).enabled === false) {
      this.notLoaded.set(uri, { state: 'disabled', reason: 'disabled in config' });
      return false;
    }
    return !this.notLoaded.has(uri) || this.required.has(uri);
  }

  // ---- module life cycle --------------------------------------------------------------------

  private async initModule(def: AnyModuleDef): Promise<boolean> {
    const uri = moduleUri(def);
    const missing = (def.requires ?? []).filter((k) => !this.loadedOfKind(k).length);
    if (missing.length) return this.decline(def, 'skipped', `requires ${missing.join(', ')}, which is not loaded`);
    const start = performance.now();
    try {
      const dir = path.join(this.dataDir, 'modules', uri);
      await privateDir(dir);
      const { enabled: _enabled, ...userCfg } = this.moduleConfig(def);
      let config = { ...(def.defaults ?? {}), ...userCfg };
      if (def.validate) config = def.validate(config);
      const meta = { exports: {} as Record<string, unknown> };
      const ctx: InitContext<unknown> = {
        events: this.events,
        workloads: this.workloads,
        ledger: this.ledger,
        reconciler: this.reconciler,
        host: this.host,
        config: Object.freeze(config),
        dir,
        dataDir: this.dataDir,
        log: this.log.child({ module: shortName(def) }),
        ...declaredLookup(def, (kind) => this.loadedOfKind(kind).map((x) => x.api)),
        meta,
        addresses: { listen: this.config.listen, gateway: this.config.gateway, dockerSocket: this.config.dockerSocket },
        control: this.control,
      };
      const api = await def.init(ctx);
      this.loaded.set(uri, { def, api, exports: meta.exports, initMs: round(performance.now() - start), controller: new AbortController() });
      this.notLoaded.delete(uri);
      this.events.publish({ topic: '/modules/loaded', subject: `module/${shortName(def)}`, message: `module ${uri} loaded` });
      return true;
    } catch (e) {
      if (e instanceof SkipModule) return this.decline(def, 'skipped', e.message);
      if (this.required.has(uri)) throw new FailedPrecondition(`required module ${uri} failed: ${errorMessage(e)}`, { cause: e });
      this.log.error({ err: e }, `module ${uri} failed to load`);
      return this.decline(def, 'failed', errorMessage(e));
    }
  }

  private decline(def: AnyModuleDef, state: ModuleState, reason: string): false {
    const uri = moduleUri(def);
    if (this.required.has(uri)) throw new FailedPrecondition(`required module ${uri} cannot load: ${reason}`);
    this.notLoaded.set(uri, { state, reason });
    this.log.warn(`module ${uri} ${state}: ${reason}`);
    return false;
  }

  private async startModule(l: Loaded): Promise<void> {
    try {
      await l.def.start?.(l.api, l.controller.signal);
    } catch (e) {
      this.log.error({ err: e }, `module ${moduleUri(l.def)} failed to start`);
      this.events.publish({ topic: '/modules/failed', subject: `module/${shortName(l.def)}`, message: `module ${moduleUri(l.def)} failed to start: ${errorMessage(e)}` });
    }
  }

  private async stopModule(l: Loaded): Promise<void> {
    l.controller.abort();
    try {
      await l.def.stop?.(l.api);
    } catch (e) {
      this.log.warn({ err: e }, `module ${moduleUri(l.def)} failed to stop cleanly`);
    }
  }

  private def(name: string): AnyModuleDef {
    const d = this.registry.find(name);
    if (!d) throw new NotFound(`no module named ${name} (see llmos modules)`);
    return d;
  }

  private loadedOfKind(kind: ModuleKind): Loaded[] {
    return ofKind([...this.loaded.values()], kind);
  }

  /** For the daemon and tests: any loaded module by kind (modules get only their declared kinds). */
  getSingle<T>(kind: ModuleKind): T {
    return singleOf<T>(kind, this.loadedOfKind(kind).map((x) => x.api));
  }

  /** The module table as run-time load and unload (run-time.ts) see it. */
  private readonly table: ModuleTable<Loaded> = {
    def: (name) => this.def(name),
    loaded: () => [...this.loaded.values()],
    get: (uri) => this.loaded.get(uri),
    init: (def) => this.initModule(def),
    start: (l) => this.startModule(l),
    stop: (l) => this.stopModule(l),
    forget: (uri) => void this.loaded.delete(uri),
    markUnloaded: (uri) => void this.notLoaded.set(uri, { state: 'unloaded', reason: 'unloaded by the user' }),
    notLoadedReason: (uri) => this.notLoaded.get(uri)?.reason,
    required: (uri) => this.required.has(uri),
    store: () => this.storeOrNull(),
    status: (def) => this.moduleStatus(def),
    events: this.events,
    log: { warn: (o, m) => this.log.warn(o, m) },
  };

  loadModule(name: string): Promise<ModuleStatus> {
    return loadAtRunTime(this.table, name);
  }

  unloadModule(name: string): Promise<ModuleStatus> {
    return unloadAtRunTime(this.table, name);
  }

  // ---- introspection ------------------------------------------------------------------------

  private moduleStatus(def: AnyModuleDef): ModuleStatus {
    const uri = moduleUri(def);
    return moduleStatusOf(def, { loaded: this.loaded.get(uri), notLoaded: this.notLoaded.get(uri), all: this.registry.all(), required: this.required.has(uri) });
  }

  modules(): ModuleStatus[] {
    return this.registry.graph().map((d) => this.moduleStatus(d));
  }

  status(): KernelStatus {
    const byState: Record<string, number> = {};
    const all = this.workloads.list();
    for (const w of all) byState[w.state] = (byState[w.state] ?? 0) + 1;
    return {
      version: LLMOS_VERSION,
      startedAt: this.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      dataDir: this.dataDir,
      node: { capacity: this.ledger.capacity, reserved: this.ledger.reserved, allocatable: this.ledger.allocatable(), allocated: this.ledger.allocated() },
      host: this.host ?? null,
      boot: { totalMs: this.bootTotalMs(), stages: [...this.timeline] },
      modules: this.modules(),
      workloads: { total: all.length, byState },
    };
  }

  private storeOrNull(): StateStore | undefined {
    return this.loadedOfKind(Kinds.stateStore)[0]?.api as StateStore | undefined;
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.reconciler.stop();
    const order = this.registry.graph().filter((d) => this.loaded.has(moduleUri(d))).reverse();
    for (const def of order) {
      this.stoppingNow = moduleUri(def);
      await this.stopModule(this.loaded.get(moduleUri(def))!);
      this.loaded.delete(moduleUri(def));
    }
    this.stoppingNow = undefined;
  }

  /** During shutdown: the module whose stop is running and those still loaded (for a drain that gives up). */
  shutdownPending(): { stopping?: string; loaded: string[] } {
    return { stopping: this.stoppingNow, loaded: [...this.loaded.keys()] };
  }
}

/** Module state may hold credentials: owner only (an existing dir from an older version is tightened). */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

const round = (n: number): number => Math.round(n * 100) / 100;
