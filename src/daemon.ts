// `llmos up`: lock the data dir, boot the kernel in the foreground, print the boot timeline, and
// on a signal drain for a bounded time, then exit whatever is still pending.
import { chmod, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { builtinModules, clusterModules, requiredModules } from './builtins.js';
import { parseStoreUrl } from './modules/state-store-etcd/store-url.js';
import type { AnyModuleDef } from './kernel/module.js';
import { Registry } from './kernel/registry.js';
import { lockDataDir, type DataDirLock } from './kernel/datadir-lock.js';
import { InvalidArgument, errorMessage } from './kernel/errors.js';
import { parseDuration } from './kernel/quantity.js';
import { Kernel, type KernelStatus } from './kernel/kernel.js';
import { createLogger } from './kernel/log.js';
import { defaultDataDir } from './paths.js';

export interface DaemonOptions {
  dataDir?: string;
  listen?: string;
  gateway?: string;
  dockerSocket?: string;
  logLevel?: string;
  /** `full` (default) or `edge`: no dashboard, for small machines (env LLMOS_PROFILE). */
  profile?: string;
  /** Process start, so the timeline counts Node's own start-up too. */
  t0?: number;
  /** `sqlite` (default) or `etcd://HOST:PORT,...` (env LLMOS_STORE): the state store's back end. */
  store?: string;
  /** Cluster mode: join the server at this URL (https://SERVER:7070) as a node agent, with joinToken. */
  join?: string;
  joinToken?: string;
  /** The agent's node name (default: the host name). */
  nodeName?: string;
  /** The agent's node labels (`--node-label k=v`), e.g. llmos.io/cloud=public, llmos.io/zone=z1. */
  nodeLabels?: Record<string, string>;
  /** The iot module's broker: an existing one (mqtt[s]://user:pass@host:port) instead of a managed mosquitto. */
  mqttUrl?: string;
  /** Server: --node-grace / --eviction-timeout (durations: 40s, 5m): NotReady after, replicas replaced after (issue 20). */
  nodeGrace?: string;
  evictionTimeout?: string;
  /** Modules beside the built-in ones (embedding, and tests that need a module that misbehaves). */
  extraModules?: AnyModuleDef[];
}

export interface Daemon {
  kernel: Kernel;
  status: KernelStatus;
  log: Logger;
  lock: DataDirLock;
}

/** How long a shutdown may take before the process exits anyway (env LLMOS_SHUTDOWN_TIMEOUT_MS). */
export const shutdownTimeoutMs = (): number => {
  const n = Number(process.env.LLMOS_SHUTDOWN_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 10_000;
};

/**
 * Module settings a profile puts over config.json's. `edge` drops the dashboard (its files and
 * routes); functions stay, and their isolates start only when a function is first invoked.
 */
export const profiles: Readonly<Record<string, Record<string, Record<string, unknown>>>> = {
  full: {},
  edge: { dashboard: { enabled: false } },
};

export function profileModules(name: string | undefined): Record<string, Record<string, unknown>> {
  const p = profiles[name ?? 'full'];
  if (!p) throw new InvalidArgument(`unknown profile ${JSON.stringify(name)} (expected ${Object.keys(profiles).join(' or ')})`);
  return p;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const store = parseStoreUrl(opts.store ?? (process.env.LLMOS_STORE || undefined));
  if (opts.join === undefined && (opts.joinToken !== undefined || opts.nodeName !== undefined)) throw new InvalidArgument('--token and --node-name go with --join https://SERVER:PORT');
  const modules: Record<string, Record<string, unknown>> = { ...profileModules(opts.profile ?? (process.env.LLMOS_PROFILE || undefined)) };
  if (store.backend === 'etcd') modules['state-store'] = { endpoints: store.endpoints };
  if (opts.mqttUrl !== undefined) modules.iot = { ...modules.iot, mqttUrl: opts.mqttUrl };
  if (opts.nodeGrace !== undefined || opts.evictionTimeout !== undefined) modules['llmos.cluster.v1.server'] = nodeLifecycleFlags(opts);
  if (opts.join !== undefined) modules.agent = { server: opts.join, token: opts.joinToken ?? '', nodeName: opts.nodeName ?? '', labels: opts.nodeLabels ?? {} };
  const dataDir = path.resolve(opts.dataDir ?? process.env.LLMOS_DATA_DIR ?? defaultDataDir());
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700); // it holds the token and the store: owner only, even if made by hand
  const lock = lockDataDir(dataDir); // before anything writes: a second daemon is refused here
  await tightenFiles(dataDir);
  const log = createLogger({ file: path.join(dataDir, 'llmos.log'), level: opts.logLevel ?? process.env.LLMOS_LOG_LEVEL ?? 'info' });
  const kernel = new Kernel({
    dataDir,
    registry: Registry.of([...clusterModules(builtinModules(), store, opts.join !== undefined), ...(opts.extraModules ?? [])]),
    log,
    required: opts.join !== undefined ? [...requiredModules, 'agent'] : requiredModules,
    t0: opts.t0 ?? 0, // performance.now() counts from process start
    config: { listen: opts.listen ?? process.env.LLMOS_LISTEN, gateway: opts.gateway ?? process.env.LLMOS_GATEWAY, dockerSocket: opts.dockerSocket ?? process.env.LLMOS_DOCKER_SOCKET, ...(Object.keys(modules).length ? { modules } : {}) },
  });
  try {
    const status = await kernel.boot();
    return { kernel, status, log, lock };
  } catch (e) {
    await drain(kernel, log, shutdownTimeoutMs()); // modules that did load (the store) close
    lock.release();
    throw e;
  }
}

/** The cluster module's settings from the server's timing flags (under its URI, so config.json's `cluster` settings still apply). */
function nodeLifecycleFlags(opts: DaemonOptions): Record<string, number> {
  if (opts.join !== undefined) throw new InvalidArgument('--node-grace and --eviction-timeout are server flags: they do not go with --join');
  return {
    ...(opts.nodeGrace !== undefined ? { leaseGraceMs: Math.round(parseDuration(opts.nodeGrace, '--node-grace')) } : {}),
    ...(opts.evictionTimeout !== undefined ? { evictionTimeoutMs: Math.round(parseDuration(opts.evictionTimeout, '--eviction-timeout')) } : {}),
  };
}

/** Files at the top of the data dir (token, config, log, lock) are the owner's only, also from older versions. */
async function tightenFiles(dataDir: string): Promise<void> {
  for (const e of await readdir(dataDir, { withFileTypes: true })) {
    if (e.isFile()) await chmod(path.join(dataDir, e.name), 0o600);
  }
}

export function formatTimeline(status: KernelStatus): string {
  const lines = status.boot.stages.map((s, i) => `  ${i + 1}. ${s.stage.padEnd(22)} ${s.durationMs.toFixed(1).padStart(7)} ms  ${s.detail ?? ''}`);
  const mods = status.modules.map((m) => `${m.name}${m.state === 'loaded' ? '' : ` (${m.state}: ${m.reason})`}`);
  return [`LLMOS booted in ${status.boot.totalMs.toFixed(1)} ms (since process start)`, ...lines, `  modules: ${mods.join(', ')}`].join('\n');
}

/**
 * Stops the modules in reverse order, giving up after timeoutMs. Returns what was still pending
 * (empty when everything stopped), so the caller can say so and exit.
 */
export async function drain(kernel: Kernel, log: Logger, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    kernel.shutdown().then(() => false, (e: unknown) => (log.warn({ err: e }, `shutdown failed: ${errorMessage(e)}`), false)),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!timedOut) return [];
  const p = kernel.shutdownPending();
  return [...(p.stopping ? [`module ${p.stopping} (stop still running)`] : []), ...p.loaded.filter((m) => m !== p.stopping).map((m) => `module ${m} (not stopped)`)];
}

/** Runs until SIGINT/SIGTERM, drains for at most shutdownTimeoutMs(), then exits the process. */
export async function runDaemon(opts: DaemonOptions): Promise<never> {
  let d: Daemon;
  try {
    d = await startDaemon(opts);
  } catch (e) {
    process.stderr.write(`llmos: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(1);
  }
  const { kernel, status, log, lock } = d;
  const api = status.modules.find((m) => m.name === 'api');
  const agent = status.modules.find((m) => m.name === 'agent');
  const joined = agent ? `\n  joined ${String(agent.exports.server)} as node ${String(agent.exports.nodeName)}` : '';
  process.stdout.write(formatTimeline(status) + `\n  API on ${String(api?.exports.url ?? `http://${String(api?.exports.address ?? '?')}`)}  (token in ${path.join(kernel.dataDir, 'token')})${joined}\n`);
  const sig = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write(`\n${sig}: shutting down\n`);
  // A second signal while draining: the operator wants out now.
  const now = (s: NodeJS.Signals) => {
    process.stdout.write(`${s}: exiting without waiting for the drain\n`);
    process.exit(1);
  };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  const bound = shutdownTimeoutMs();
  const pending = await drain(kernel, log, bound);
  if (pending.length) {
    const msg = `shutdown: still pending after ${bound} ms, exiting anyway: ${pending.join(', ')}`;
    log.warn({ pending }, msg);
    process.stdout.write(msg + '\n');
  }
  // Timers and sockets left by modules (or by work they started) must not keep the process alive.
  const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  if (left.length) log.debug({ resources: left }, `exiting with ${left.length} handles still open`);
  lock.release();
  process.exit(pending.length ? 1 : 0);
}

// `llmos store` on a stopped daemon's data dir runs its tools from this entry too.
export { storeTools } from './store-tools.js';
