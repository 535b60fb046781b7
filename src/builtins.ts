// The one list of built-in modules, in no particular order: the loader sorts by dependencies.
import type { AnyModuleDef } from './kernel/module.js';
import { Registry } from './kernel/registry.js';
import { sqliteStoreModule } from './modules/state-store/module.js';
import { apiModule } from './modules/api/module.js';

export const builtinModules = (): AnyModuleDef[] => [sqliteStoreModule(), apiModule()];

export const builtinRegistry = (): Registry => Registry.of(builtinModules());

/** Modules whose failure aborts boot and that cannot be unloaded. */
export const requiredModules = ['state-store', 'api'];
