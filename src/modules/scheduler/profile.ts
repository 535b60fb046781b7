// Profiles: which plugins filter and score, with what weights and arguments. Plugins come from
// one in-tree registry (kube's NewInTreeRegistry); an unknown plugin, profile or strategy fails
// when the framework is built, not in the middle of a cycle.
import { InvalidArgument } from '../../kernel/errors.js';
import { Framework, type AnyPlugin } from './framework.js';
import { BalancedAllocation, BalancedAllocationName } from './plugins/balanced-allocation.js';
import { ImageLocality, ImageLocalityName } from './plugins/image-locality.js';
import { NodeAffinity, NodeAffinityName } from './plugins/node-affinity.js';
import { NodePorts, NodePortsName } from './plugins/node-ports.js';
import { NodeResourcesFit, NodeResourcesFitName, type FitArgs } from './plugins/node-resources-fit.js';
import { NodeSelector, NodeSelectorName } from './plugins/node-selector.js';
import { TaintToleration, TaintTolerationName } from './plugins/taint-toleration.js';
import { TopologySpread, TopologySpreadName } from './plugins/topology-spread.js';

type PluginFactory = (args: Record<string, unknown>) => AnyPlugin;

export const inTreeRegistry: ReadonlyMap<string, PluginFactory> = new Map<string, PluginFactory>([
  [NodeResourcesFitName, (a) => new NodeResourcesFit(a as FitArgs)],
  [NodeSelectorName, () => new NodeSelector()],
  [NodeAffinityName, () => new NodeAffinity()],
  [TaintTolerationName, () => new TaintToleration()],
  [NodePortsName, () => new NodePorts()],
  [BalancedAllocationName, () => new BalancedAllocation()],
  [ImageLocalityName, () => new ImageLocality()],
  [TopologySpreadName, () => new TopologySpread()],
]);

export interface ProfileConfig {
  name: string;
  /** Filter plugins, in the order they run (cheap and decisive first). */
  filters: string[];
  scores: Array<{ name: string; weight: number }>;
  pluginArgs?: Record<string, Record<string, unknown>>;
  /** 0 = adaptive (kube's default); 1..100 = that percentage of nodes, at least 100 nodes. */
  percentageOfNodesToScore?: number;
}

const defaultFilters = [TaintTolerationName, NodeSelectorName, NodeAffinityName, NodePortsName, NodeResourcesFitName];

/** The built-in profiles. Weights follow kube-scheduler's defaults where it has them. */
export const profiles: Readonly<Record<string, ProfileConfig>> = {
  // Spread: least-allocated, balanced, image locality, zone spread, taint preference.
  default: {
    name: 'default',
    filters: defaultFilters,
    scores: [
      { name: NodeResourcesFitName, weight: 1 },
      { name: BalancedAllocationName, weight: 1 },
      { name: ImageLocalityName, weight: 1 },
      { name: TopologySpreadName, weight: 2 },
      { name: TaintTolerationName, weight: 3 },
    ],
    pluginArgs: { [NodeResourcesFitName]: { scoringStrategy: { type: 'LeastAllocated' } } },
  },
  // Bin-pack: fill the fullest node that fits, leaving whole nodes free (fewer, fuller nodes).
  binpack: {
    name: 'binpack',
    filters: defaultFilters,
    scores: [
      { name: NodeResourcesFitName, weight: 1 },
      { name: ImageLocalityName, weight: 1 },
      { name: TaintTolerationName, weight: 3 },
    ],
    pluginArgs: { [NodeResourcesFitName]: { scoringStrategy: { type: 'MostAllocated' } } },
  },
  // Balanced: keep CPU and memory use in proportion on each node, so neither strands the other.
  balanced: {
    name: 'balanced',
    filters: defaultFilters,
    scores: [
      { name: BalancedAllocationName, weight: 2 },
      { name: NodeResourcesFitName, weight: 1 },
      { name: TaintTolerationName, weight: 3 },
    ],
    pluginArgs: { [NodeResourcesFitName]: { scoringStrategy: { type: 'MostAllocated' } } },
  },
};

export const profileNames = Object.keys(profiles);

/** A built-in profile by name, with optional overrides; throws InvalidArgument on an unknown name. */
export function profileConfig(name: string, over: Partial<Omit<ProfileConfig, 'name'>> = {}): ProfileConfig {
  const p = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!p) throw new InvalidArgument(`unknown scheduling profile ${name} (known: ${profileNames.join(', ')})`);
  return { ...p, ...over, pluginArgs: { ...p.pluginArgs, ...over.pluginArgs } };
}

export function buildFramework(cfg: ProfileConfig): Framework {
  const pct = cfg.percentageOfNodesToScore ?? 0;
  if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new InvalidArgument(`percentageOfNodesToScore must be 0..100, got ${pct}`);
  const instances = new Map<string, AnyPlugin>();
  const get = (name: string): AnyPlugin => {
    let p = instances.get(name);
    if (p) return p;
    const make = inTreeRegistry.get(name);
    if (!make) throw new InvalidArgument(`profile ${cfg.name}: unknown plugin ${name} (known: ${[...inTreeRegistry.keys()].join(', ')})`);
    instances.set(name, (p = make(cfg.pluginArgs?.[name] ?? {})));
    return p;
  };
  const filters = cfg.filters.map(get);
  for (const f of filters) if (typeof f.filter !== 'function') throw new InvalidArgument(`profile ${cfg.name}: plugin ${f.name} has no filter`);
  const scores = cfg.scores.map((s) => {
    if (!(s.weight > 0)) throw new InvalidArgument(`profile ${cfg.name}: score weight of ${s.name} must be > 0`);
    const plugin = get(s.name);
    if (typeof plugin.score !== 'function') throw new InvalidArgument(`profile ${cfg.name}: plugin ${s.name} has no score`);
    return { plugin, weight: s.weight };
  });
  return new Framework(cfg.name, filters, scores, pct);
}
