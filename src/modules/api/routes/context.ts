// What the routes get of the kernel: module control for /v1/modules and /v1/status, and lookups
// limited to the API module's declared kinds. A kind that is not loaded answers 503, not 404:
// the route exists, the module behind it is away.
import type { ModuleKind } from '../../../contracts/kinds.js';
import { Unavailable, isNotFound } from '../../../kernel/errors.js';
import type { InitContext, ModuleControl } from '../../../kernel/module.js';

export interface RouteKernel extends ModuleControl {
  getSingle<T>(kind: ModuleKind): T;
  /** The loaded module of that kind, or undefined. */
  getOptional<T>(kind: ModuleKind): T | undefined;
}

export function routeKernel(ctx: InitContext<unknown>): RouteKernel {
  const c = ctx.control;
  return {
    status: () => c.status(),
    modules: () => c.modules(),
    loadModule: (name) => c.loadModule(name),
    unloadModule: (name) => c.unloadModule(name),
    getSingle<T>(kind: ModuleKind): T {
      try {
        return ctx.getSingle<T>(kind);
      } catch (e) {
        if (isNotFound(e)) throw new Unavailable(e.message, { cause: e });
        throw e;
      }
    },
    getOptional: <T>(kind: ModuleKind) => ctx.getOptional<T>(kind),
  };
}
