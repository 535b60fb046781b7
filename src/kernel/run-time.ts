// Loading and unloading modules while the kernel runs (`llmos modules load|unload`): a kind that
// others require cannot be unloaded (naming them); its optional users are told, before it stops,
// so they drop it, and told again when it comes back. The user's choice is kept in the store so
// it survives a restart. The kernel owns the module table; this file sees it through ModuleTable.
import type { ModuleKind } from '../contracts/kinds.js';
import type { StateStore } from '../contracts/state-store.js';
import type { ModuleStatus } from '../contracts/system.js';
import { AlreadyExists, FailedPrecondition, errorMessage } from './errors.js';
import type { EventBus } from './events.js';
import { moduleUri, type AnyModuleDef } from './module.js';
import { shortName } from './registry.js';

/** A loaded module as the kernel keeps it. */
export interface LoadedModule {
  def: AnyModuleDef;
  api: unknown;
}

/** What run-time loading needs of the kernel's module table. */
export interface ModuleTable<L extends LoadedModule = LoadedModule> {
  /** By short name or uri; NotFound otherwise. */
  def(name: string): AnyModuleDef;
  loaded(): L[];
  get(uri: string): L | undefined;
  /** Inits a module (false: it declined or failed; the reason is in notLoadedReason). */
  init(def: AnyModuleDef): Promise<boolean>;
  start(l: L): Promise<void>;
  stop(l: L): Promise<void>;
  /** Drops a module from the loaded set (it is still stopping). */
  forget(uri: string): void;
  /** Records a module as unloaded by the user. */
  markUnloaded(uri: string): void;
  notLoadedReason(uri: string): string | undefined;
  required(uri: string): boolean;
  store(): StateStore | undefined;
  status(def: AnyModuleDef): ModuleStatus;
  events: EventBus;
  log: { warn(o: object, m: string): void };
}

/** Where the user's unload is remembered across restarts. */
export const unloadedKey = (uri: string): string => `/kernel/modules/${uri}`;

export const ofKind = <L extends LoadedModule>(loaded: readonly L[], kind: ModuleKind): L[] => loaded.filter((l) => l.def.kind === kind);

/** Loaded modules that need `l` because it is the only loaded provider of a kind they require. */
export function dependentsOf(loaded: readonly LoadedModule[], l: LoadedModule): AnyModuleDef[] {
  if (ofKind(loaded, l.def.kind).length > 1) return [];
  return loaded.filter((o) => o.def.requires?.includes(l.def.kind)).map((o) => o.def);
}

/** Tells the loaded modules that list `kind` as optional that it came or went; a failing hook is logged, never fatal. */
export async function tellOptionalUsers(t: ModuleTable, kind: ModuleKind, hook: 'onDependencyLoaded' | 'onDependencyUnloaded'): Promise<string[]> {
  const told: string[] = [];
  for (const u of t.loaded().filter((o) => o.def.optional?.includes(kind))) {
    told.push(shortName(u.def));
    try {
      await u.def[hook]?.(u.api, kind);
    } catch (e) {
      t.log.warn({ err: e }, `module ${moduleUri(u.def)} ${hook}(${kind}) failed: ${errorMessage(e)}`);
    }
  }
  return told;
}

export async function loadAtRunTime<L extends LoadedModule>(t: ModuleTable<L>, name: string): Promise<ModuleStatus> {
  const def = t.def(name);
  const uri = moduleUri(def);
  if (t.get(uri)) throw new AlreadyExists(`module ${shortName(def)} is already loaded`);
  const missing = (def.requires ?? []).filter((k) => !ofKind(t.loaded(), k).length);
  if (missing.length) throw new FailedPrecondition(`cannot load ${shortName(def)}: it requires ${missing.join(', ')}; load that first`);
  if (!(await t.init(def))) throw new FailedPrecondition(`module ${shortName(def)} did not load: ${t.notLoadedReason(uri)}`);
  await t.start(t.get(uri)!);
  if (ofKind(t.loaded(), def.kind).length === 1) await tellOptionalUsers(t, def.kind, 'onDependencyLoaded');
  await t.store()?.delete(unloadedKey(uri));
  return t.status(def);
}

export async function unloadAtRunTime<L extends LoadedModule>(t: ModuleTable<L>, name: string): Promise<ModuleStatus> {
  const def = t.def(name);
  const uri = moduleUri(def);
  const l = t.get(uri);
  if (!l) throw new FailedPrecondition(`module ${shortName(def)} is not loaded`);
  if (t.required(uri)) throw new FailedPrecondition(`module ${shortName(def)} is required by the kernel and cannot be unloaded`);
  const deps = dependentsOf(t.loaded(), l);
  if (deps.length) throw new FailedPrecondition(`cannot unload ${shortName(def)}: required by ${deps.map(shortName).join(', ')}; unload those first`);
  // Optional users are told before the module stops, so none calls it while it is going.
  t.forget(uri);
  const told = ofKind(t.loaded(), def.kind).length ? [] : await tellOptionalUsers(t, def.kind, 'onDependencyUnloaded');
  await t.stop(l);
  t.markUnloaded(uri);
  await t.store()?.put(unloadedKey(uri), { enabled: false });
  t.events.publish({ topic: '/modules/unloaded', subject: `module/${shortName(def)}`, message: `module ${uri} unloaded${told.length ? ` (told ${told.join(', ')}, which use it)` : ''}`, ...(told.length ? { data: { told } } : {}) });
  return t.status(def);
}
