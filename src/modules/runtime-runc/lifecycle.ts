// Create and start: the record is written before each step that makes something on the host
// (rootfs, bundle, netns, conmon), so a crash part-way is undone or finished at the next boot.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerInfo, ContainerSpec, NetworkAttachment, PortMapping } from '../../contracts/containers.js';
import type { ImageRecord } from '../../contracts/images.js';
import { resolvConfText } from '../../contracts/network.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, ResourceExhausted, errorMessage, isNotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { containerRequests } from './admission.js';
import { copyUp } from './copy-up.js';
import { containerHostname, hostsFile, writeBundle } from './bundle.js';
import { newEntry, type Entry } from './entries.js';
import { ContainerExits } from './exits.js';
import { activeStates } from './core.js';
import type { ContainerRecord } from './records.js';
import { freeHostPort, hostPortFree, validateSpec } from './spec-checks.js';
import { imageHealthcheck } from './health-config.js';
import { normalizeSignal } from './status.js';

/** A container without a name is named after its image's last path part and the id's start. */
export function defaultName(image: string, id: string): string {
  return `${(image.split('/').pop() ?? 'c').split(/[:@]/)[0]!.replace(/[^a-zA-Z0-9_.-]/g, '')}-${id.slice(0, 6)}`;
}

/** 127 when the command was not found, 126 when it could not be executed (runc's exec errors), else undefined. */
export function execFailureCode(reason: string): number | undefined {
  if (!/\bexec: /.test(reason)) return undefined;
  if (/executable file not found|no such file or directory/.test(reason)) return 127;
  if (/permission denied|exec format error|is a directory/.test(reason)) return 126;
  return undefined;
}

export abstract class ContainerLifecycle extends ContainerExits {
  /** Called between runc create and runc start (attach.ts connects waiting clients). */
  protected beforeProcessStart?: (id: string) => Promise<void>;

  protected validate(spec: ContainerSpec): void {
    validateSpec(spec, [...this.entries.values()].map((e) => e.rec.spec), { cpus: this.d.hostCpus ?? os.availableParallelism(), memory: this.d.hostMemory }, this.upSpecs());
  }

  /** Specs of the containers that hold their host ports: running, starting, stopping, or about to restart. */
  protected upSpecs(except?: string): ContainerSpec[] {
    return [...this.entries.values()].filter((e) => e.rec.id !== except && (activeStates.includes(e.rec.state) || !!e.rec.restartAt)).map((e) => e.rec.spec);
  }

  /** The image by the spec's pull policy (--pull missing|always|never) and platform. */
  protected async image(ref: string, spec: Pick<ContainerSpec, 'pull' | 'platform'> = {}): Promise<ImageRecord> {
    const images = this.d.images();
    // --platform: an image of another OS/ARCH is refused, never run in its place (a local one is pulled again for it first).
    const matches = (i: ImageRecord) => !spec.platform || [i.platform.os, i.platform.architecture, ...(spec.platform.split('/').length > 2 ? [i.platform.variant ?? ''] : [])].join('/') === spec.platform;
    const checked = (i: ImageRecord) => {
      if (!matches(i)) throw new InvalidArgument(`--platform ${spec.platform}: image ${ref} is ${i.platform.os}/${i.platform.architecture}`);
      return i;
    };
    const pull = async () => checked(await images.pull(ref, spec.platform ? { platform: spec.platform } : undefined));
    if (spec.pull === 'always') return pull();
    let local: ImageRecord;
    try {
      local = await images.get(ref);
    } catch (e) {
      if (!isNotFound(e) || spec.pull === 'never') throw e;
      return pull();
    }
    return matches(local) || spec.pull === 'never' ? checked(local) : pull();
  }

  /** The spec's ports with -P's exposed ports added and every host port 0 given a free port. */
  protected async resolvePorts(spec: ContainerSpec, image: ImageRecord): Promise<PortMapping[]> {
    const ports = [...(spec.ports ?? [])];
    if (spec.publishAll) {
      for (const e of [...(image.config.exposedPorts ?? []), ...(spec.expose ?? [])]) {
        const [n, proto = 'tcp'] = e.split('/') as [string, string | undefined];
        const containerPort = Number(n);
        if (!(containerPort >= 1 && containerPort <= 65535) || (proto !== 'tcp' && proto !== 'udp')) continue;
        if (!ports.some((p) => p.containerPort === containerPort && p.protocol === proto)) ports.push({ hostPort: 0, containerPort, protocol: proto });
      }
    }
    const taken = new Set(this.upSpecs().flatMap((s) => (s.ports ?? []).map((p) => `${p.hostPort}/${p.protocol}`)));
    for (const p of ports) {
      if (p.hostPort !== 0) continue;
      for (let tries = 0; ; tries++) {
        const port = await freeHostPort(p.protocol, p.hostIp);
        if (!taken.has(`${port}/${p.protocol}`)) {
          p.hostPort = port;
          taken.add(`${port}/${p.protocol}`);
          break;
        }
        if (tries > 20) throw new ResourceExhausted('no free host port found');
      }
    }
    return ports;
  }

  async create(input: ContainerSpec): Promise<ContainerInfo> {
    this.validate(input);
    const image = await this.image(input.image, input);
    // -P and -p CONTAINERPORT: free host ports are chosen now and recorded in the spec.
    const spec = { ...input, ports: await this.resolvePorts(input, image), ...imageHealthcheck(input, image.config) };
    if (!spec.ports.length) delete (spec as Partial<ContainerSpec>).ports;
    for (const p of spec.ports ?? []) if (!(await hostPortFree(p))) throw new AlreadyExists(`host port ${p.hostPort}/${p.protocol} is already in use on this host`);
    const id = randomBytes(32).toString('hex');
    const name = spec.name ?? defaultName(spec.image, id);
    if ([...this.entries.values()].some((e) => e.rec.name === name)) throw new AlreadyExists(`container name ${name} is already in use`);
    const rec: ContainerRecord = {
      id,
      name,
      namespace: spec.namespace ?? 'default',
      image: spec.image,
      imageId: image.id,
      spec: { ...spec, name },
      state: 'created',
      createdAt: new Date(this.now()).toISOString(),
      oomKilled: false,
      restartCount: 0,
      backoffStep: 0,
      stoppedByUser: false,
      rootfs: '',
      cgroupsPath: `/llmos/${this.d.tag}/${id}`,
      stopSignal: normalizeSignal(spec.stopSignal ?? image.config.stopSignal, 'TERM'),
      creating: true,
    };
    // Reserve the name at once so a concurrent create with the same name fails.
    const e = newEntry(rec);
    this.entries.set(id, e);
    faultPoint('containers.create.dir');
    const dir = await this.d.store.ensureDir(id);
    try {
      // Intent first: a crash from here on leaves a record (creating) that boot tears down.
      faultPoint('containers.create.record');
      await this.save(rec);
      faultPoint('containers.create.rootfs');
      const { path: rootfs } = await this.d.images().createRootfs(spec.image, id);
      rec.rootfs = rootfs;
      faultPoint('containers.create.volumes');
      const volumeSources = await this.mountVolumes(rec);
      faultPoint('containers.create.bundle');
      await writeBundle(this.d, rec, dir, image, volumeSources);
      rec.creating = undefined;
      faultPoint('containers.create.record-done');
      await this.save(rec);
      this.d.workloads.add({ id, type: 'container', name, namespace: rec.namespace, owner: spec.owner, labels: spec.labels ?? {}, requests: containerRequests(spec), limits: containerRequests({ ...spec, requests: undefined }) });
      this.publish('create', rec, `created from ${spec.image}`);
      return this.info(rec);
    } catch (err) {
      this.entries.delete(id);
      await this.releaseVolumes(rec);
      await this.d.images().removeRootfs(id).catch((e2) => this.d.log.warn({ err: e2 }, `removing the rootfs of failed create ${id}`));
      await this.d.store.removeDir(id);
      throw err;
    }
  }

  /**
   * Named and anonymous volumes: acquired (created on first use) and recorded; a new volume gets
   * the image's files at that path, as Docker copies them up. Returns their host paths by target.
   */
  protected async mountVolumes(rec: ContainerRecord): Promise<Record<string, string>> {
    const wanted = (rec.spec.mounts ?? []).filter((m) => m.type === 'volume');
    if (!wanted.length) return {};
    const vols = this.d.volumes?.();
    if (!vols) throw new FailedPrecondition('named volumes need the volumes module, and it is not loaded');
    const out: Record<string, string> = {};
    rec.volumes = {};
    for (const m of wanted) {
      const { volume, created } = await vols.acquire(m.source, rec.id);
      rec.volumes[m.target] = volume.name;
      await this.save(rec);
      if (created) await copyUp(rec.rootfs, m.target, volume.mountpoint);
      out[m.target] = volume.mountpoint;
    }
    return out;
  }

  protected async releaseVolumes(rec: ContainerRecord): Promise<void> {
    const vols = this.d.volumes?.();
    for (const name of Object.values(rec.volumes ?? {})) await vols?.release(name, rec.id, { removeAnonymous: !!rec.spec.autoRemove });
  }

  async start(idOrName: string): Promise<ContainerInfo> {
    const e = this.entry(idOrName);
    return this.locked(e, () => this.startLocked(e, false));
  }

  protected async startLocked(e: Entry, isRestart: boolean): Promise<ContainerInfo> {
    const rec = e.rec;
    if (rec.removing) throw new FailedPrecondition(`container ${rec.name} is being removed`);
    if (rec.state === 'running' || rec.state === 'starting' || rec.state === 'stopping') {
      if (isRestart) return this.info(rec);
      throw new FailedPrecondition(`container ${rec.name} is already ${rec.state}`);
    }
    if (e.restartTimer) clearTimeout(e.restartTimer);
    e.restartTimer = undefined;
    rec.restartAt = undefined;
    // An exited container gave its host ports back: another may hold them now.
    for (const p of rec.spec.ports ?? []) {
      const holder = this.upSpecs(rec.id).find((s) => (s.ports ?? []).some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol));
      if (holder) throw new AlreadyExists(`cannot start container ${rec.name}: host port ${p.hostPort}/${p.protocol} is already published by container ${holder.name}`);
    }
    const ledgerId = `container/${rec.id}`;
    if (!this.d.admission.has(ledgerId)) this.d.admission.admit(ledgerId, rec.spec, `container/${rec.name}`);
    const dir = this.d.store.dir(rec.id);
    try {
      this.d.workloads.transition(rec.id, 'starting');
      rec.state = 'starting';
      const mode = rec.spec.network ?? 'bridge';
      // Intent: a crash from here on may leave a netns, a lease, rules, conmon and a cgroup; the
      // record says so (starting, networkIntent), so boot ends the start and removes them.
      if (!rec.network && mode === 'bridge') rec.networkIntent = true;
      faultPoint('containers.start.record');
      await this.save(rec);
      // The network is set up while runc creates the container (it only needs the namespace to
      // exist); both must be done before the process starts.
      let attaching: Promise<NetworkAttachment> | undefined;
      if (!rec.network) {
        const net = this.d.network();
        if (mode === 'bridge' && net.prepare) await net.prepare(rec.id, { ports: rec.spec.ports ?? [], userNetwork: rec.spec.userNetwork });
        // The default bridge names only a service's replicas: Docker's resolves no container names.
        attaching = net.attach(rec.id, { mode, ports: rec.spec.ports ?? [], name: rec.name, nameOnBridge: !!rec.spec.owner, namespace: rec.namespace, userNetwork: rec.spec.userNetwork, aliases: rec.spec.networkAliases });
        if (mode !== 'bridge' || !net.prepare) rec.network = await attaching;
      }
      // A previous run's runc state (exited, or left by a crash) must go before create.
      if (await this.d.runc.known(rec.id)) await this.d.runc.delete(rec.id, true);
      await rm(path.join(this.d.runc.o.exitDir, rec.id), { force: true });
      faultPoint('containers.start.conmon');
      const [att, created] = await Promise.allSettled([
        attaching ?? Promise.resolve(rec.network!),
        this.cgroupParent.creatingIn(() => this.d.runc.create(rec.id, { bundle: dir, logPath: path.join(dir, 'ctr.log'), pidFile: path.join(dir, 'pid'), conmonPidFile: path.join(dir, 'conmon.pid'), stdio: rec.spec })),
      ]);
      if (att.status === 'rejected') throw att.reason;
      if (attaching) {
        rec.network = att.value;
        faultPoint('containers.start.record-network');
        await this.save(rec);
        if (rec.network.ip) await writeFile(path.join(dir, 'hosts'), hostsFile(containerHostname(rec), rec.name, rec.network.ip, rec.spec.extraHosts));
        // The network's DNS server (names of services and containers) replaces the host's resolvers,
        // unless the user chose their own (--dns/--dns-search, written with the bundle).
        if (rec.network.dns && !rec.spec.dns?.length && !rec.spec.dnsSearch?.length) await writeFile(path.join(dir, 'resolv.conf'), resolvConfText(rec.network.dns));
      }
      if (created.status === 'rejected') throw created.reason;
      rec.pid = created.value;
      // Clients waiting to attach connect to conmon now, so they see the process's first output.
      await this.beforeProcessStart?.(rec.id);
      faultPoint('containers.start.runc-start');
      await this.d.runc.start(rec.id);
      rec.state = 'running';
      rec.startedAt = new Date(this.now()).toISOString();
      rec.finishedAt = undefined;
      rec.exitCode = undefined;
      rec.oomKilled = false;
      rec.stoppedByUser = false;
      rec.reason = undefined;
      if (isRestart) rec.restartCount++;
      this.d.workloads.transition(rec.id, 'running');
      faultPoint('containers.start.record-running');
      await this.save(rec);
      this.publish(isRestart ? 'restart' : 'start', rec, isRestart ? `restarted (${rec.restartCount})` : 'started', { pid: rec.pid });
      return this.info(rec);
    } catch (err) {
      const reason = errorMessage(err);
      await this.d.runc.delete(rec.id, true).catch((e2) => this.d.log.warn({ err: e2 }, `runc delete after a failed start of ${rec.name}`));
      this.d.admission.release(ledgerId);
      await this.releaseNetwork(rec);
      rec.state = 'failed';
      rec.reason = reason;
      // Docker's codes for a command that cannot run: 127 not found, 126 not executable.
      rec.exitCode = execFailureCode(reason);
      rec.finishedAt = new Date(this.now()).toISOString();
      rec.pid = undefined;
      if (this.d.workloads.has(rec.id)) this.d.workloads.transition(rec.id, 'failed', { reason });
      await this.save(rec).catch((e2) => this.d.log.warn({ err: e2 }, `saving the failed start of ${rec.name}`));
      this.publish('fail', rec, `failed to start: ${reason}`);
      if (err instanceof FailedPrecondition) throw new FailedPrecondition(`cannot start container ${rec.name}: ${reason}`, { cause: err });
      throw err;
    }
  }

  async run(spec: ContainerSpec): Promise<ContainerInfo> {
    const c = await this.create(spec);
    try {
      return await this.start(c.id);
    } catch (err) {
      // run is one step for the caller: a container that never started is not left behind.
      await this.remove(c.id, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}
