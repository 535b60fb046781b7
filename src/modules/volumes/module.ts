// Registration of the named-volumes module (kind llmos.volumes.v1): volumes live in the module's
// own directory of the data dir; the containers runtime mounts them (optional dependency).
import type { ModuleDef } from '../../kernel/module.js';
import { volumesKind, type VolumesApi } from '../../contracts/volumes.js';
import { VolumeStore } from './store.js';
import path from 'node:path';

export const volumesModule = (): ModuleDef<Record<string, never>, VolumesApi> => ({
  kind: volumesKind,
  id: 'local',
  description: 'named volumes: directories in the data dir that outlive containers',
  defaults: {},
  async init(ctx) {
    const store = new VolumeStore(path.join(ctx.dir, 'volumes'));
    await store.load();
    ctx.meta.exports.dir = path.join(ctx.dir, 'volumes');
    return store;
  },
});
