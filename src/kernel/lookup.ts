// Module lookups by kind, limited to what a module declares (containerd's InitContext.GetSingle):
// a module that reaches a kind it did not declare is a bug that the unload guard could not see.
import type { ModuleKind } from '../contracts/kinds.js';
import { Internal, MultipleInstances, NotFound } from './errors.js';
import { moduleUri, type AnyModuleDef, type ModuleLookup } from './module.js';
import { shortName } from './registry.js';

/** `loaded(kind)` gives the APIs of the loaded modules of that kind, at call time. */
export function declaredLookup(def: AnyModuleDef, loaded: (kind: ModuleKind) => unknown[]): ModuleLookup {
  const hard = new Set<string>(def.requires ?? []);
  const soft = new Set<string>(def.optional ?? []);
  const check = (kind: ModuleKind, how: string): void => {
    if (hard.has(kind) || soft.has(kind)) return;
    throw new Internal(`module ${shortName(def)} (${moduleUri(def)}) called ${how}(${kind}) but declares ${kind} in neither requires nor optional`);
  };
  const single = <T>(kind: ModuleKind): T | undefined => optionalOf<T>(kind, loaded(kind));
  const getSingle = <T>(kind: ModuleKind): T => singleOf<T>(kind, loaded(kind));
  return {
    getSingle<T>(kind: ModuleKind): T {
      check(kind, 'getSingle');
      return getSingle<T>(kind);
    },
    getOptional<T>(kind: ModuleKind): T | undefined {
      if (!soft.has(kind)) throw new Internal(`module ${shortName(def)} (${moduleUri(def)}) called getOptional(${kind}) but does not declare ${kind} optional`);
      return single<T>(kind);
    },
    lookup<T>(kind: ModuleKind): () => T {
      check(kind, 'lookup');
      return () => getSingle<T>(kind);
    },
  };
}

/** The one API among `apis` (the loaded modules of `kind`), undefined for none; MultipleInstances for several. */
export function optionalOf<T>(kind: ModuleKind, apis: readonly unknown[]): T | undefined {
  if (apis.length > 1) throw new MultipleInstances(`${apis.length} modules of kind ${kind} are loaded; name one`);
  return apis[0] as T | undefined;
}

/** Like optionalOf, but NotFound for none (containerd's ErrPluginNotFound). */
export function singleOf<T>(kind: ModuleKind, apis: readonly unknown[]): T {
  const api = optionalOf<T>(kind, apis);
  if (api === undefined) throw new NotFound(`no module of kind ${kind} is loaded`);
  return api;
}
