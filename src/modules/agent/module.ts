// Registration of the node agent (`llmos up --join URL --token T`): joins the server at boot (a
// refusal aborts boot with the server's one-line reason) and renews the node's lease every
// leaseIntervalMs (10 s by default; the server says how often).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import { agentKind, nodeNameSchema, labelsSchema, taintSchema, type Taint } from '../../contracts/cluster.js';
import type { ImagesApi } from '../../contracts/images.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { callServer } from './http.js';
import { joinServer } from './join.js';
import { resume, saveCredential } from './credential.js';
import { nodeReport } from './report.js';

export interface AgentConfig {
  /** The server's API URL, https://SERVER:7070. */
  server: string;
  token: string;
  /** '' = the host name. */
  nodeName: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface AgentApi {
  readonly nodeName: string;
  readonly server: string;
  /** Time of the last lease the server accepted (ISO), or undefined. */
  lastRenewal(): string | undefined;
}

/** A random id for this data dir, made once: the same node name from another data dir is another machine. */
async function machineId(dir: string): Promise<string> {
  const file = path.join(dir, 'machine-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomBytes(16).toString('hex');
  await writeFile(file, id + '\n', { mode: 0o600 });
  return id;
}

export const agentModule = (): ModuleDef<AgentConfig, AgentApi> => {
  let timer: NodeJS.Timeout | undefined;
  let renew: (() => Promise<number>) | undefined;
  return {
    kind: agentKind,
    id: 'default',
    description: 'node agent: joined to a cluster server, renews its node lease',
    requires: [Kinds.stateStore],
    optional: [Kinds.images, Kinds.functions],
    defaults: { server: '', token: '', nodeName: '', labels: {}, taints: [] },
    validate(c) {
      let url: URL;
      try {
        url = new URL(c.server);
      } catch {
        throw new InvalidArgument(`--join ${JSON.stringify(c.server)}: expected https://SERVER:PORT`);
      }
      if (url.protocol !== 'https:') throw new InvalidArgument(`--join ${c.server}: the server must be https:// (agents talk TLS with the cluster CA)`);
      if (!c.token) throw new InvalidArgument('--join needs --token (from llmos token create on the server)');
      const nodeName = c.nodeName || os.hostname().toLowerCase();
      const n = nodeNameSchema.safeParse(nodeName);
      if (!n.success) throw new InvalidArgument(`node name ${JSON.stringify(nodeName)}: ${n.error.issues[0]?.message ?? 'invalid'} (set --node-name)`);
      const l = labelsSchema.safeParse(c.labels);
      if (!l.success) throw new InvalidArgument(`--node-label: ${l.error.issues[0]?.message ?? 'invalid'}`);
      if (!Array.isArray(c.taints) || !c.taints.every((t) => taintSchema.safeParse(t).success)) throw new InvalidArgument('agent.taints: expected [{key, value?, effect}]');
      return { ...c, nodeName };
    },
    async init(ctx) {
      const server = new URL(ctx.config.server);
      const report = () => nodeReport(ctx, ctx.getOptional<ImagesApi>(Kinds.images), ctx.getOptional(Kinds.functions) !== undefined);
      const resumed = await resume(ctx.dir, server, ctx.config.nodeName, ctx.config.token, await report());
      const joined = resumed ?? await joinServer(server, {
        token: ctx.config.token,
        name: ctx.config.nodeName,
        machineId: await machineId(ctx.dir),
        labels: ctx.config.labels,
        taints: ctx.config.taints,
        report: await report(),
      });
      if (!resumed) await saveCredential(ctx.dir, server, joined);
      ctx.meta.exports.server = server.origin;
      ctx.meta.exports.nodeName = joined.name;
      ctx.log.info(`agent: ${resumed ? 'rejoined with its saved credential' : 'joined'} ${server.origin} as node ${joined.name}`);
      let last: string | undefined = new Date().toISOString();
      let failing = false;
      let interval = joined.leaseIntervalMs;
      renew = async () => {
        try {
          const r = await callServer<{ renewTime: string; leaseIntervalMs: number }>(server, { method: 'PUT', path: '/v1/cluster/agent/lease', body: { report: await report() }, credential: joined.credential, ca: joined.ca });
          last = r.renewTime;
          interval = r.leaseIntervalMs;
          if (failing) ctx.log.info(`agent: lease renewed again (node ${joined.name})`);
          failing = false;
        } catch (e) {
          // Logged once per outage, not at every tick.
          if (!failing) ctx.log.error(`agent: lease renewal failed (node ${joined.name}): ${errorMessage(e)}`);
          failing = true;
        }
        return interval;
      };
      return { nodeName: joined.name, server: server.origin, lastRenewal: () => last };
    },
    start() {
      // The join registered the first lease; each renewal schedules the next (no overlap).
      const tick = async () => {
        const next = await renew?.();
        if (renew && next !== undefined) timer = setTimeout(() => void tick(), next);
      };
      timer = setTimeout(() => void tick(), 0);
    },
    stop() {
      renew = undefined;
      clearTimeout(timer);
    },
  };
};
