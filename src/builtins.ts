// The one list of built-in modules. The loader sorts by dependencies and otherwise keeps this order,
// so the events store comes right after the state store and records the other modules' boot.
import type { AnyModuleDef } from './kernel/module.js';
import { Registry } from './kernel/registry.js';
import { sqliteStoreModule } from './modules/state-store/module.js';
import { eventsStoreModule } from './modules/events-store/module.js';
import { apiModule } from './modules/api/module.js';
import { schedulerModule } from './modules/scheduler/module.js';
import { monitorModule } from './modules/monitor/module.js';
import { networkModule } from './modules/network/module.js';
import { userNetworksModule } from './modules/network/user-networks-module.js';
import { runcContainersModule } from './modules/runtime-runc/module.js';
import { imagesModule } from './modules/images/module.js';
import { volumesModule } from './modules/volumes/module.js';
import { dashboardModule } from './modules/dashboard/module.js';
import { functionsModule } from './modules/functions/module.js';
import { gatewayModule } from './modules/gateway/module.js';
import { servicesModule } from './modules/services/module.js';
import { autoscalerModule } from './modules/autoscaler/module.js';
import { dockerApiModule } from './modules/docker-api/module.js';
import { iotModule } from './modules/iot/module.js';
import { clusterModule } from './modules/cluster/module.js';
import { etcdStoreModule } from './modules/state-store-etcd/module.js';
import { leaderModule } from './modules/state-store-etcd/leader-module.js';
import { agentModule } from './modules/agent/module.js';
import { iotEdgeModule } from './modules/iot/edge-module.js';
import type { StoreSelection } from './modules/state-store-etcd/store-url.js';

export const builtinModules = (): AnyModuleDef[] => [sqliteStoreModule(), eventsStoreModule(), apiModule(), schedulerModule(), monitorModule(), iotModule(), networkModule(), userNetworksModule(), volumesModule(), runcContainersModule(), imagesModule(), dashboardModule(), functionsModule(), gatewayModule(), servicesModule(), autoscalerModule(), dockerApiModule(), clusterModule()];

/** Cluster mode: the etcd store in place of SQLite (`--store etcd://...`), and the node agent (`--join`). */
export const clusterModules = (defs: AnyModuleDef[], store: StoreSelection, join: boolean): AnyModuleDef[] => [
  ...(store.backend === 'etcd' ? defs.map((d) => (d.kind === 'llmos.state-store.v1' && d.id === 'sqlite' ? etcdStoreModule() : d)) : defs),
  // Several servers may share the etcd: the controllers run on the elected one only.
  ...(store.backend === 'etcd' ? [leaderModule(store.endpoints)] : []),
  ...(join ? [agentModule(), iotEdgeModule()] : []),
];

export const builtinRegistry = (): Registry => Registry.of(builtinModules());

/** Modules whose failure aborts boot and that cannot be unloaded. */
export const requiredModules = ['state-store', 'api'];
