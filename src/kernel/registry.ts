// An immutable registry of module definitions with eager validation and a dependency graph,
// after containerd/plugin's Register and Graph.
import { InvalidArgument, FailedPrecondition } from './errors.js';
import { moduleUri, type AnyModuleDef } from './module.js';

export class Registry {
  private constructor(private readonly defs: readonly AnyModuleDef[]) {}

  static empty(): Registry {
    return new Registry([]);
  }

  static of(defs: readonly AnyModuleDef[]): Registry {
    return defs.reduce((r, d) => r.register(d), Registry.empty());
  }

  /** Returns a new registry; throws on a missing kind or id, a duplicate uri, or a self-dependency. */
  register(def: AnyModuleDef): Registry {
    if (!def.kind) throw new InvalidArgument('module definition has no kind');
    if (!def.id) throw new InvalidArgument(`module of kind ${def.kind} has no id`);
    const uri = moduleUri(def);
    if (this.defs.some((d) => moduleUri(d) === uri)) throw new InvalidArgument(`module ${uri} is registered twice`);
    if (def.requires?.includes(def.kind)) throw new InvalidArgument(`module ${uri} requires its own kind ${def.kind}`);
    if (def.optional?.includes(def.kind)) throw new InvalidArgument(`module ${uri} lists its own kind ${def.kind} as optional`);
    const both = def.optional?.find((k) => def.requires?.includes(k));
    if (both) throw new InvalidArgument(`module ${uri} lists ${both} both in requires and optional`);
    return new Registry([...this.defs, def]);
  }

  all(): readonly AnyModuleDef[] {
    return this.defs;
  }

  find(nameOrUri: string): AnyModuleDef | undefined {
    return this.defs.find((d) => moduleUri(d) === nameOrUri || d.kind === nameOrUri || shortName(d) === nameOrUri);
  }

  /**
   * Init order: every module after the providers of the kinds it requires. Throws on a cycle or a
   * required kind that no registered module provides. `filter` limits the graph (disabled modules).
   * Optional kinds do not order init (the API uses modules that require it): their users look them
   * up at call time and hear of run-time loads and unloads through their hooks.
   */
  graph(filter: (d: AnyModuleDef) => boolean = () => true): AnyModuleDef[] {
    const defs = this.defs.filter(filter);
    const byKind = new Map<string, AnyModuleDef[]>();
    for (const d of defs) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d]);
    for (const d of defs)
      for (const k of d.requires ?? [])
        if (!byKind.has(k)) throw new FailedPrecondition(`module ${moduleUri(d)} requires ${k}, which no module provides`);

    const order: AnyModuleDef[] = [];
    const state = new Map<AnyModuleDef, 'visiting' | 'done'>();
    const visit = (d: AnyModuleDef, path: string[]): void => {
      const s = state.get(d);
      if (s === 'done') return;
      if (s === 'visiting') throw new FailedPrecondition(`circular module dependency: ${[...path, moduleUri(d)].join(' -> ')}`);
      state.set(d, 'visiting');
      for (const k of d.requires ?? []) for (const p of byKind.get(k)!) visit(p, [...path, moduleUri(d)]);
      state.set(d, 'done');
      order.push(d);
    };
    for (const d of defs) visit(d, []);
    return order;
  }
}

/** The short name users type: the capability part of the kind ("images" for llmos.images.v1). */
export function shortName(d: Pick<AnyModuleDef, 'kind'>): string {
  const parts = d.kind.split('.');
  return parts.length >= 3 ? parts.slice(1, -1).join('.') : d.kind;
}
