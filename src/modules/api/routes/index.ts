// The one list of route groups the API serves. Each group looks its module up per request.
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { systemRoutes } from './system.js';
import { containerRoutes } from './containers.js';
import { servicesRoutes } from './services.js';
import { functionRoutes } from './functions.js';
import { imagesRoutes } from './images.js';
import { dashboardRoutes } from './dashboard.js';
import { schedulerRoutes } from './scheduler.js';
import { monitorRoutes } from './monitor.js';
import { autoscalerRoutes } from './autoscaler.js';
import { storeRoutes } from './store.js';
import { volumeRoutes } from './volumes.js';
import { iotRoutes } from './iot.js';
import { archiveRoutes } from './archives.js';
import { clusterRoutes } from './cluster.js';
import { clusterNetworkRoutes } from './cluster-network.js';
import { clusterNetworkWatchRoutes } from './cluster-network-watch.js';
import { networkRoutes } from './networks.js';
import { stdioRoutes } from './stdio.js';
import { queueRoutes } from './queues.js';
import { clusterReplacedRoutes } from './cluster-replaced.js';
import { clusterIotRoutes } from './cluster-iot.js';

export type RouteGroup = (app: Api, kernel: RouteKernel, services: KernelServices) => void;

// One group per line: the list every capability's routes join.
export const allRoutes: readonly RouteGroup[] = [
  systemRoutes,
  schedulerRoutes,
  monitorRoutes,
  containerRoutes,
  imagesRoutes,
  dashboardRoutes,
  functionRoutes,
  servicesRoutes,
  autoscalerRoutes,
  storeRoutes,
  volumeRoutes,
  iotRoutes,
  archiveRoutes,
  clusterRoutes,
  clusterNetworkRoutes,
  clusterNetworkWatchRoutes,
  networkRoutes,
  stdioRoutes,
  queueRoutes,
  clusterReplacedRoutes,
  clusterIotRoutes,
];
