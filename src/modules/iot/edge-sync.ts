// The edge node's side of the sync: one batched call to the server (POST edgeSyncPath) about
// every syncMs with this node's broker URL, the twins of its devices that changed since the server
// last took them, and the oldest buffered telemetry points; the answer brings the devices bound to
// this node (with password hashes: the node's broker lets them in), their models and the server's
// desired state. While the server is unreachable nothing changes here: the broker, twins, telemetry
// and rules work from the local store, and points wait in the buffer; once a call gets through
// again the buffer is drained batch by batch. The answer's device rules are kept deployed here
// (edge-rules.ts), so they fire here whether the server is reachable or not.
import type { Logger } from 'pino';
import type { AgentLink } from '../../contracts/cluster.js';
import { edgeSyncPath, type EdgeSyncAnswer, type EdgeSyncRequest, type EdgeTwin } from '../../contracts/iot.js';
import { errorMessage } from '../../kernel/errors.js';
import type { EdgeBuffer } from './edge-buffer.js';
import type { EdgeRules } from './edge-rules.js';
import type { IotService } from './service.js';

export interface EdgeSyncOptions {
  syncMs: number;
  /** The period while no device is bound to this node and nothing is buffered: an idle node costs the server little. */
  idleSyncMs: number;
  timeoutMs: number;
  batchPoints: number;
  /** How often at most the buffer file is rewritten while it changes. */
  persistMs: number;
}

export class EdgeSync {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Twins as the server last took them (name -> JSON), to send only the changed ones. */
  private readonly sent = new Map<string, string>();
  private down = false;
  private savedAt = 0;
  private bound = 0;
  syncs = 0;

  constructor(
    private readonly svc: IotService,
    private readonly agent: AgentLink,
    readonly buffer: EdgeBuffer,
    private readonly bufferFile: string,
    private readonly o: EdgeSyncOptions,
    private readonly log: Logger,
    private readonly rules: EdgeRules,
  ) {}

  start(): void {
    this.timer = setTimeout(() => this.tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (this.buffer.dirty) await this.buffer.save(this.bufferFile).catch((e: Error) => this.log.warn(`iot edge: telemetry buffer not saved at stop: ${e.message}`));
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      const busy = this.bound > 0 || this.buffer.size > 0 || this.down;
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), busy ? this.o.syncMs : this.o.idleSyncMs);
    });
  }

  /** Syncs until the buffer is empty (or a call fails), then saves the buffer when it changed. */
  private async drain(): Promise<void> {
    try {
      do await this.once();
      while (this.buffer.size > 0 && !this.stopped);
      if (this.down) this.log.info('iot edge: synced with the server again');
      this.down = false;
    } catch (e) {
      if (!this.down) this.log.warn(`iot edge: sync with the server failed (${errorMessage(e)}); devices keep working here, telemetry is buffered (${this.buffer.size} points)`);
      this.down = true;
    }
    if (this.buffer.dirty && Date.now() - this.savedAt >= this.o.persistMs) {
      this.savedAt = Date.now();
      await this.buffer.save(this.bufferFile).catch((e: Error) => this.log.warn(`iot edge: telemetry buffer not saved: ${e.message}`));
    }
  }

  /** One call: sends, applies the answer, drops the acknowledged points. */
  async once(): Promise<void> {
    const reg = this.svc.registry;
    const twins: EdgeTwin[] = [];
    const sig = new Map<string, string>();
    for (const r of reg.devices.values()) {
      if (r.node !== this.agent.nodeName) continue;
      const t = reg.twins.get(r.name);
      if (!t) continue;
      const twin: EdgeTwin = { name: r.name, reported: t.reported, reportedVersion: t.reportedVersion, desired: t.desired, desiredVersion: t.desiredVersion, lastSeen: t.lastSeen, online: t.online };
      const s = JSON.stringify(twin);
      if (this.sent.get(r.name) !== s) twins.push(twin);
      sig.set(r.name, s);
    }
    const broker = await this.svc.edgeBroker();
    const req: EdgeSyncRequest = { ...(broker ? { broker } : {}), twins, points: this.buffer.peek(this.o.batchPoints), dropped: this.buffer.dropped };
    const ans = await this.agent.callServer<EdgeSyncAnswer>('POST', edgeSyncPath, req, this.o.timeoutMs);
    for (const t of twins) this.sent.set(t.name, sig.get(t.name)!);
    this.buffer.ack(ans.ackSeq);
    this.bound = ans.devices.length;
    await this.apply(ans);
    this.syncs++;
  }

  /** The server's devices, models and desired state for this node, into the local registry and broker. */
  private async apply(ans: EdgeSyncAnswer): Promise<void> {
    const reg = this.svc.registry;
    const node = this.agent.nodeName;
    const gone: string[] = [];
    let users = false;
    const publish: string[] = [];
    await reg.lock.runExclusive(async () => {
      for (const m of ans.models) {
        const old = reg.models.get(m.name);
        if (!old || JSON.stringify(old.properties) !== JSON.stringify(m.properties) || JSON.stringify(old.labels) !== JSON.stringify(m.labels)) await reg.putModel(m, { replace: true });
      }
      const changed = [];
      const names = new Set<string>();
      for (const d of ans.devices) {
        names.add(d.name);
        const old = reg.devices.get(d.name);
        const rec = { name: d.name, model: d.model, node, labels: d.labels, createdAt: d.createdAt, ...(d.passwordHash ? { passwordHash: d.passwordHash } : {}) };
        if (JSON.stringify(old) !== JSON.stringify(rec)) {
          changed.push(rec);
          if (old?.passwordHash !== rec.passwordHash) users = true;
        }
      }
      if (changed.length) await reg.putDevices(changed);
      for (const r of reg.devices.values()) if (r.node === node && !names.has(r.name)) gone.push(r.name);
      for (const w of ans.desired) {
        if (!names.has(w.name)) continue;
        const t = reg.twin(w.name);
        // Higher: set on the server. Equal but different: both wrote one version, the server's wins.
        if (w.desiredVersion > t.desiredVersion || (w.desiredVersion === t.desiredVersion && JSON.stringify(w.desired) !== JSON.stringify(t.desired))) {
          Object.assign(t, { desired: w.desired, desiredVersion: w.desiredVersion });
          await reg.saveTwin(w.name);
          publish.push(w.name);
        }
      }
    });
    for (const name of gone) {
      this.sent.delete(name);
      await this.svc.removeDevice(name);
    }
    if (reg.devices.size) await this.svc.activate();
    if (users) await this.svc.syncBrokerUsers();
    for (const name of publish) await this.svc.publishDesired(name);
    if (ans.trust) await this.svc.trustCluster(ans.trust);
    await this.rules.apply(ans.rules);
  }
}
