// Registration of the functions module: deployed functions (isolate or image), their instance
// pools, async invocations, triggers, secrets and metrics. The gateway module serves them over HTTP.
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import type ivm from 'isolated-vm';
import type { ContainersApi } from '../../contracts/containers.js';
import type { FunctionInfo } from '../../contracts/functions.js';
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { FailedPrecondition, InvalidArgument, NotFound, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { AsyncInvocations } from './async.js';
import { InvocationFailed } from './failures.js';
import { HistoryCompactor } from './history-compactor.js';
import { FunctionLogs } from './logs.js';
import { FunctionMetrics } from './metrics.js';
import { FunctionPool } from './pool.js';
import { ContainerInstance, PreparedContainers } from './runtime/container.js';
import type { Instance } from './runtime/instance.js';
import { FunctionKv, type KvOp } from './kv.js';
import { FUNCTIONS_DEFAULTS, type FunctionsConfig } from './config.js';
import { createHosts, hostKey, type FunctionHosts } from './host/hosts.js';
import type { EgressPolicy } from './runtime/egress.js';
// The in-process runtime (and with it isolated-vm, which needs Node's --no-node-snapshot) loads
// only in `hosts: inline` mode: with function-host processes the daemon never makes an isolate.
const inlineRuntime = () => import('./runtime/isolate.js');
import { SecretBox } from './secret-box.js';
import { Secrets } from './secrets.js';
import { compileSource } from './source.js';
import { DEFAULTS, normalizeSpec, validateName, withSpecDefaults, type FunctionSpec } from './spec.js';
import { Triggers } from './triggers.js';
import { DeviceTriggers } from './device-triggers.js';
import { DEVICES_BINDING } from './device-rule.js';
import { iotKind } from '../../contracts/iot.js';
import { clusterKind } from '../../contracts/cluster.js';
import type { FunctionsApi } from './api.js';
import { FunctionQueues, type WireMessage } from './queues.js';
import { withChannelDefaults as channelLimitsOf } from './channel-limits.js';
import { bundledCode, clusterFunctions, type ClusterFunctions } from './cluster-functions.js';
import { ruleCopy } from './cluster-mirror.js';
import { functionScaleTargets } from './scale-targets.js';

export type { FunctionInfo, FunctionsConfig, FunctionsApi };

const SPEC = '/functions/specs/';
const CODE = '/functions/code/';

interface StoredCode {
  entry: string;
  files: string[];
  code: string;
}

interface Deployed {
  spec: FunctionSpec;
  pool: FunctionPool;
  code?: StoredCode;
  /** Code cache produced by the first instance, reused by the next ones. */
  codeCache?: ivm.ExternalCopy<ArrayBuffer>;
}

/** What start and stop need beyond the public API. */
interface Internal {
  deployed: Map<string, Deployed>;
  triggers: Triggers;
  deviceTriggers: DeviceTriggers;
  asyncInv: AsyncInvocations;
  compactor: HistoryCompactor;
  prepared: PreparedContainers;
  hosts?: FunctionHosts;
  cluster: ClusterFunctions;
  reapIntervalMs: number;
  spareIsolates: number;
}
const internals = new WeakMap<FunctionsApi, Internal>();

export const functionsModule = (): ModuleDef<FunctionsConfig, FunctionsApi> => ({
  kind: Kinds.functions,
  id: 'default',
  description: 'serverless functions in V8 isolates or containers: pools, scale to zero, async, cron and MQTT triggers',
  requires: [Kinds.stateStore],
  // Image functions run as containers; isolate functions need nothing more.
  optional: [Kinds.containers, iotKind, clusterKind, Kinds.scheduler],
  defaults: FUNCTIONS_DEFAULTS,

  async init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const containers = (): ContainersApi => {
      const c = ctx.getOptional<ContainersApi>(Kinds.containers);
      if (!c) throw new InvocationFailed('start-failed', `image functions need the containers module: no module of kind ${Kinds.containers} is loaded`);
      return c;
    };
    const deployed = new Map<string, Deployed>();
    const cluster = clusterFunctions(ctx, () => [...deployed.values()].map((d) => ({ spec: d.spec, code: d.code?.code })));
    const prepared = new PreparedContainers(containers);
    const metrics = new FunctionMetrics();
    const logs = new FunctionLogs(ctx.config.logLines);
    const hosts = createHosts({
      mode: ctx.config.hosts,
      dataDir: ctx.dataDir,
      limits: { memoryBytes: ctx.config.hostMemory, cpus: ctx.config.hostCpus, pids: ctx.config.hostPids },
      spares: ctx.config.spareIsolates,
      spareHosts: ctx.config.spareHosts,
      sparesMb: [DEFAULTS.memory / 2 ** 20],
      onLog: (fn, id, level, text) => logs.write(fn, id, level, text),
      kv: (fn, binding, op, args) => kvCall(fn)(binding, op, args),
      warn: (t) => ctx.log.warn(t),
      publish: (key, why) => ctx.events.publish({ topic: '/functions/host-crashed', subject: `function-host/${key}`, message: why }),
    });
    const snapshotOff = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--no-node-snapshot');
    if (!hosts && !snapshotOff) throw new FailedPrecondition('functions run in the daemon (hosts: inline) need Node started with --no-node-snapshot, as isolated-vm requires: set NODE_OPTIONS=--no-node-snapshot or use hosts: process');
    // The module's directory holds the secret key: owner only.
    await chmod(ctx.dir, 0o700);
    const secrets = new Secrets(store, new SecretBox(path.join(ctx.dir, 'secrets.key')), (n) => [...deployed.values()].filter((d) => d.spec.secrets.includes(n)).map((d) => d.spec.name));
    const kvStore = new FunctionKv(store);
    // A function's KV calls, checked against its current spec (a binding removed at redeploy goes at once).
    const kvCall = (fn: string) => (binding: string, op: string, args: Record<string, unknown>) => {
      const { spec } = get(fn);
      if (binding.startsWith('@queue:') && spec.kv.includes(binding)) return queues.send(binding.slice(7), args.messages as WireMessage[]).then(() => null);
      return binding === DEVICES_BINDING ? deviceTriggers.set(spec, args) : kvStore.op(spec, binding, op as KvOp, args);
    };
    const get = (name: string): Deployed => {
      const d = deployed.get(name);
      if (!d) throw new InvocationFailed('not-found', `no function named ${name}`);
      return d;
    };

    const startInstance = async (spec: FunctionSpec, id: string): Promise<Instance> => {
      const d = get(spec.name);
      let env = spec.env;
      try {
        if (spec.secrets.length) env = { ...env, ...(await secrets.resolve(spec.secrets)) };
      } catch (e) {
        throw new InvocationFailed('start-failed', `function ${spec.name}: ${errorMessage(e)}`);
      }
      if (spec.runtime === 'image') {
        const remote = await cluster.startImage(spec, id, env, ctx.config.imageReadyTimeoutMs);
        if (remote) return remote;
        const preparedKey = JSON.stringify([spec.version, spec.image, spec.port, spec.memory, env]);
        return ContainerInstance.start({ id, functionName: spec.name, image: spec.image!, port: spec.port!, memoryBytes: spec.memory, env, readyTimeoutMs: ctx.config.imageReadyTimeoutMs, containers: containers(), prepared, preparedKey });
      }
      const start = {
        id,
        functionName: spec.name,
        code: d.code!.code,
        cacheKey: `${spec.name}@${spec.version}`,
        memoryBytes: spec.memory,
        cpuMs: spec.cpuMs,
        env,
        fastPath: ctx.config.fastPath,
        egress: egressPolicy(spec),
        backgroundMs: ctx.config.backgroundMs,
        kv: spec.kv,
        ...channelLimitsOf(spec),
      };
      if (hosts) return hosts.start(hostKey(spec), start, true);
      const inst = await (await inlineRuntime()).IsolateInstance.start({ ...start, kv: { names: spec.kv, call: kvCall(spec.name) }, codeCache: d.codeCache, onLog: (level, text) => logs.write(spec.name, id, level, text) });
      d.codeCache ??= inst.producedCache;
      return inst;
    };

    // The daemon's own listeners are never reachable implicitly, whatever address they are bound to.
    const egressPolicy = (spec: FunctionSpec): EgressPolicy => {
      const ownPorts = [ctx.addresses.listen, api.gatewayBase].map((a) => Number(/:(\d+)\/?$/.exec(a)?.[1] ?? 0)).filter((p) => p > 0);
      return { allow: spec.allowNet, maxResponseBytes: Math.min(ctx.config.fetchMaxBytes, Math.floor(spec.memory / 4)), ownPorts };
    };
    const queues = new FunctionQueues(store, (fn, req) => get(fn).pool.invoke(req), (fn) => deployed.get(fn)?.spec.runtime, logs);
    const poolDeps = { startInstance, metrics, logs, events: ctx.events, workloads: ctx.workloads, now: () => performance.timeOrigin + performance.now() };
    const api: FunctionsApi = {
      gatewayBase: 'http://127.0.0.1',
      logs,
      secrets,
      queues,
      metrics: metrics.registry,
      async deploy(input, code) {
        validateName(input.name);
        const prev = deployed.get(input.name);
        const spec = normalizeSpec(input, prev?.spec, !!code, new Date().toISOString());
        if (spec.secrets.length) await secrets.resolve(spec.secrets); // NotFound names the missing one
        let stored: StoredCode | undefined;
        let codeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
        if (code) {
          stored = { entry: code.entry, files: Object.keys(code.files).sort(), code: input.origin !== undefined ? bundledCode(code) : await compileSource(code) };
          // Load it once now, so code that fails at load time is refused at deploy, not at first call.
          try {
            // Its top-level code is the author's: it runs where the function will, not in the daemon.
            const check = { id: `${spec.name}-check`, functionName: spec.name, code: stored.code, memoryBytes: spec.memory, cpuMs: spec.cpuMs, env: {}, egress: egressPolicy(spec), backgroundMs: 0, fastPath: false, kv: [], noSpare: true };
            if (hosts) await (await hosts.start(hostKey(spec), { ...check, cacheKey: `${spec.name}@${spec.version}` })).dispose('deploy check');
            else {
              const probe = await (await inlineRuntime()).IsolateInstance.start({ ...check, kv: undefined, onLog: () => undefined });
              codeCache = probe.producedCache;
              await probe.dispose('deploy check');
            }
          } catch (e) {
            throw new InvalidArgument(`function ${spec.name} does not load: ${errorMessage(e).replace(/^function \S+ failed to start: /, '')}`);
          }
        }
        await store.txn({
          compare: [],
          success: [{ type: 'put', key: SPEC + spec.name, value: spec }, stored ? { type: 'put', key: CODE + spec.name, value: stored } : { type: 'delete', key: CODE + spec.name }],
        });
        if (prev?.spec.runtime === 'image') await prepared.drop(spec.name); // made for the old version
        install(spec, stored, codeCache);
        queues.poke();
        void cluster.mirror.poke();
        ctx.events.publish({ topic: '/functions/deployed', subject: `function/${spec.name}`, message: `function ${spec.name} ${prev ? 'updated' : 'deployed'} (version ${spec.version}, ${spec.runtime})` });
        return info(get(spec.name));
      },
      list: () => [...deployed.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name)).map(info),
      inspect(name) {
        const d = deployed.get(name);
        if (!d) throw new NotFound(`no function named ${name}`);
        return info(d);
      },
      async remove(name) {
        const d = deployed.get(name);
        if (!d) throw new NotFound(`no function named ${name}`);
        deployed.delete(name);
        triggers.remove(name);
        deviceTriggers.remove(name);
        await d.pool.close(`function ${name} removed`);
        await prepared.drop(name);
        await store.txn({ compare: [], success: [{ type: 'delete', key: SPEC + name }, { type: 'delete', key: CODE + name }] });
        await metrics.forget(name);
        logs.forget(name);
        void cluster.mirror.poke();
        ctx.events.publish({ topic: '/functions/removed', subject: `function/${name}`, message: `function ${name} removed` });
      },
      invoke: (name, req) => get(name).pool.invoke(req),
      bodyLimit: (name) => get(name).spec.bodyLimit,
      asyncPolicy(name) {
        const { spec } = get(name);
        return { public: spec.asyncPublic, bodyLimit: Math.min(spec.bodyLimit, spec.asyncMaxBytes) };
      },
      checkAsyncRoom(name, bytes) {
        get(name);
        asyncInv.check(name, bytes);
      },
      async submitAsync(name, req) {
        const d = get(name);
        if ((req.body?.byteLength ?? 0) > d.spec.bodyLimit) throw new InvocationFailed('body-too-large', `request body exceeds the limit of ${d.spec.bodyLimit} bytes of function ${name}`);
        return asyncInv.submit(name, req);
      },
      result: (id) => asyncInv.get(id),
      countChannel: (fn, kind, bytes) => (kind === 'stream' ? metrics.streamBytes.inc({ function: fn }, bytes) : (metrics.wsFrames.inc({ function: fn, direction: kind.slice(3) }), metrics.wsBytes.inc({ function: fn, direction: kind.slice(3) }, bytes))),
      async memoryBytes() {
        const all = await Promise.all([...deployed.values()].map((d) => d.pool.memoryBytes()));
        return all.reduce((a, b) => a + b, 0);
      },
      scaleTargets: functionScaleTargets(deployed, ctx.events),
    };

    const compactor = new HistoryCompactor(store, ctx.config.asyncCompactIntervalMs, ctx.log);
    const asyncLimits = (fn: string) => {
      const s = deployed.get(fn)?.spec;
      return s && { ttlMs: s.asyncTtlMs, maxRecords: s.asyncMaxRecords, maxBytes: s.asyncMaxBytes };
    };
    const asyncInv = new AsyncInvocations(store, api.invoke, ctx.config.async, ctx.log, asyncLimits, compactor);
    const triggers = new Triggers(api.invoke, logs, () => api.gatewayBase);
    const deviceTriggers = new DeviceTriggers(ctx, api.invoke, logs, () => api.gatewayBase, () => [...deployed.values()].flatMap((d) => ruleCopy(d.spec, d.code?.code) ?? []));

    function install(spec: FunctionSpec, code: StoredCode | undefined, codeCache?: ivm.ExternalCopy<ArrayBuffer>): void {
      const d = deployed.get(spec.name);
      if (d) {
        d.spec = spec;
        d.code = code;
        d.codeCache = codeCache;
        d.pool.update(spec);
      } else deployed.set(spec.name, { spec, code, codeCache, pool: new FunctionPool(spec, poolDeps) });
      triggers.sync(spec);
      deviceTriggers.sync(spec);
    }

    function info(d: Deployed): FunctionInfo {
      return {
        spec: d.spec,
        ...(d.code ? { code: { entry: d.code.entry, files: d.code.files, bytes: d.code.code.length } } : {}),
        stats: d.pool.stats(),
        instances: cluster.instances(d.spec.name, d.pool.instances()),
        triggers: [...triggers.describe(d.spec.name), ...deviceTriggers.describe(d.spec)],
        url: `${api.gatewayBase}/fn/${d.spec.name}/`,
        async: asyncInv.usage(d.spec.name),
      };
    }

    // Deployed functions come back from the store; their instances start on demand (or to min).
    const [{ items: specs }, { items: codes }] = await Promise.all([store.list<FunctionSpec>(SPEC), store.list<StoredCode>(CODE)]);
    const codeByName = new Map(codes.map((kv) => [kv.key.slice(CODE.length), kv.value]));
    for (const kv of specs) {
      const spec = withSpecDefaults(kv.value);
      deployed.set(spec.name, { spec, code: codeByName.get(spec.name), pool: new FunctionPool(spec, poolDeps) });
    }
    await queues.load();
    const migrated = await secrets.migrate();
    if (migrated) {
      ctx.log.info(`sealed ${migrated} secrets stored in plaintext by an older version`);
      compactor.touch(); // their plaintext history goes with the next compactions
    }
    ctx.meta.exports.functions = deployed.size;
    if (hosts) ctx.meta.exports.functionHosts = hosts.tag;
    internals.set(api, { deployed, triggers, deviceTriggers, asyncInv, compactor, prepared, hosts, cluster, reapIntervalMs: ctx.config.reapIntervalMs, spareIsolates: ctx.config.spareIsolates });
    return api;
  },
  async start(api, signal) {
    const { deployed, triggers, deviceTriggers, asyncInv, prepared, hosts, cluster, reapIntervalMs, spareIsolates } = internals.get(api)!;
    if (hosts) await hosts.sweep();
    else (await inlineRuntime()).setSpareShells(spareIsolates, [DEFAULTS.memory / 2 ** 20]);
    // Prepared containers of a previous run are not tracked any more: remove them.
    await prepared.sweep().catch(() => undefined);
    for (const d of deployed.values()) triggers.sync(d.spec);
    for (const d of deployed.values()) deviceTriggers.sync(d.spec); // a restarted daemon fires its device rules again
    await asyncInv.start();
    api.queues.start();
    cluster.mirror.start();
    const reap = setInterval(() => {
      for (const d of deployed.values()) d.pool.reap();
    }, reapIntervalMs);
    reap.unref();
    signal.addEventListener('abort', () => clearInterval(reap));
    for (const d of deployed.values()) d.pool.reap(); // start the min instances
  },
  async stop(api) {
    const { deployed, triggers, deviceTriggers, asyncInv, compactor, prepared, hosts, cluster } = internals.get(api)!;
    await cluster.mirror.stop();
    triggers.stop();
    deviceTriggers.stop();
    asyncInv.stop();
    api.queues.stop();
    compactor.stop();
    await Promise.all([...deployed.values()].map((d) => d.pool.close('daemon stopping')));
    await prepared.dropAll();
    if (hosts) await hosts.closeAll();
    else (await inlineRuntime()).setSpareShells(0);
  },
});

