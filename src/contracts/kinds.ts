// Module kinds: versioned, namespaced constants, kept in this one file.
export const Kinds = {
  stateStore: 'llmos.state-store.v1',
  eventsStore: 'llmos.events-store.v1',
  api: 'llmos.api.v1',
  images: 'llmos.images.v1',
  network: 'llmos.network.v1',
  runtime: 'llmos.runtime.v1',
  containers: 'llmos.containers.v1',
  services: 'llmos.services.v1',
  functions: 'llmos.functions.v1',
  gateway: 'llmos.gateway.v1',
  scheduler: 'llmos.scheduler.v1',
  autoscaler: 'llmos.autoscaler.v1',
  monitor: 'llmos.monitor.v1',
  dashboard: 'llmos.dashboard.v1',
  dockerApi: 'llmos.docker-api.v1',
} as const;

export type ModuleKind = (typeof Kinds)[keyof typeof Kinds] | `${string}.${string}.v${number}`;
