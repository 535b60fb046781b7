// The one list of CLI command groups. Each loads on demand: the CLI imports only the group that
// owns the command being run (see dist/cli-manifest.json, written at build time), so a quick
// command does not pay for parsing every other group's code.
import type { CommandGroup } from '../context.js';

export interface GroupLoader {
  name: string;
  load(): Promise<CommandGroup>;
}

export const commandGroups: readonly GroupLoader[] = [
  { name: 'system', load: async () => (await import('./system.js')).systemCommands },
  { name: 'resources', load: async () => (await import('./resources.js')).resourceCommands },
  { name: 'containers', load: async () => (await import('./containers.js')).containerCommands },
  { name: 'images', load: async () => (await import('./images.js')).imagesCommands },
  { name: 'dashboard', load: async () => (await import('./dashboard.js')).dashboardCommands },
  { name: 'sim', load: async () => (await import('./sim.js')).simCommands },
  { name: 'functions', load: async () => (await import('./functions.js')).functionCommands },
  { name: 'services', load: async () => (await import('./services.js')).servicesCommands },
  { name: 'autoscaler', load: async () => (await import('./autoscaler.js')).autoscalerCommands },
  { name: 'store', load: async () => (await import('./store.js')).storeCommands },
  { name: 'devices', load: async () => (await import('./devices.js')).deviceCommands },
  { name: 'copy', load: async () => (await import('./copy.js')).copyCommands },
  { name: 'cluster', load: async () => (await import('./cluster.js')).clusterCommands },
  { name: 'networks', load: async () => (await import('./networks.js')).networkCommands },
];
