// What the Docker API needs of the other modules, looked up per request through their contracts
// (a module that is not loaded answers 503). Operations beyond a contract are optional methods:
// when the module in this build has them they are used, else the endpoint answers 501.
import type { Readable } from 'node:stream';
import type { ContainerCopyApi, ContainerLimits, ContainersApi } from '../../contracts/containers.js';
import type { ImageRecord, ImagesApi } from '../../contracts/images.js';
import type { MonitorApi } from '../../contracts/monitor.js';
import type { HostProbe, LlmosEvent } from '../../contracts/system.js';
import type { VolumesPort } from './routes/volumes.js';
import type { UserNetworksApi } from '../../contracts/user-networks.js';

export interface ContainersExtra extends ContainersApi {
  /** Keeps an auto-removing container while a client is attached (runtime-runc has it). */
  hold?(idOrName: string): () => void;
  restart?(idOrName: string, opts?: { timeoutSeconds?: number }): Promise<unknown>;
  pause?(idOrName: string): Promise<unknown>;
  unpause?(idOrName: string): Promise<unknown>;
  rename?(idOrName: string, name: string): Promise<unknown>;
  update?(idOrName: string, limits: ContainerLimits): Promise<unknown>;
  /** The processes of a container on another node, from that node (undefined: it is on this machine). */
  nodeTop?(idOrName: string): Promise<{ titles: string[]; processes: string[][] } | undefined>;
  statPath?: ContainerCopyApi['statPath'];
  getArchive?: ContainerCopyApi['getArchive'];
  putArchive?: ContainerCopyApi['putArchive'];
}

export interface ImagesExtra extends ImagesApi {
  tag?(source: string, target: string): Promise<ImageRecord>;
  remove?(ref: string, opts?: { force?: boolean }): Promise<{ untagged: string[]; deleted?: string }>;
  prune?(): Promise<{ images: string[]; bytes: number }>;
  /** The images service's push (h14mod's ImageStoreApi shape). */
  push?(ref: string, onBlob?: (blob: { digest: string; status: 'exists' | 'pushed' }) => void): Promise<{ ref: string; digest: string }>;
  load?(archive: Readable): Promise<ImageRecord[]>;
  save?(refs: string[]): Promise<Readable>;
}

export interface DockerDeps {
  containers(): ContainersExtra;
  images(): ImagesExtra;
  monitor(): MonitorApi | undefined;
  volumes(): VolumesPort | undefined;
  /** User-defined networks (absent in builds or hosts without them). */
  networks?(): UserNetworksApi | undefined;
  host: HostProbe;
  dataDir: string;
  version: string;
  subscribe(handler: (e: LlmosEvent) => void): () => void;
  recentEvents(): LlmosEvent[];
}
