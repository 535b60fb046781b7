// Flag parsing for `llmos run` and `llmos exec` (pure): Docker's flags, where everything after
// the image (or container) name belongs to the command.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../client.js';
import path from 'node:path';
import type { ContainerSpec, Mount, PortMapping, RestartPolicy, VolumeMount } from '../../contracts/containers.js';
import { labelSelectorProblem } from '../../contracts/placement.js';
import { dockerMemory, runFlagSpec, runFlagOptions } from './run-flags-docker.js';

/** "8080:80", "8080:80/udp", "127.0.0.1:8080:80", "80" (any free host port), "8000-8001:80-81" (ranges of equal length). */
export function parsePorts(s: string): PortMapping[] {
  const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(?:(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(s);
  if (!m) throw new CliError(`invalid port mapping ${JSON.stringify(s)}: use [HOSTPORT:]CONTAINERPORT[/tcp|udp] (ranges: 8000-8001:80-81)`);
  const protocol = (m[6] as 'tcp' | 'udp' | undefined) ?? 'tcp';
  const c0 = Number(m[4]);
  const c1 = m[5] !== undefined ? Number(m[5]) : c0;
  const h0 = m[2] !== undefined ? Number(m[2]) : 0;
  const h1 = m[3] !== undefined ? Number(m[3]) : m[2] !== undefined ? h0 + (c1 - c0) : 0;
  for (const p of [c0, c1, ...(m[2] !== undefined ? [h0, h1] : [])]) if (p < 1 || p > 65535) throw new CliError(`invalid port ${p} in ${s}: ports are 1-65535`);
  if (c1 < c0 || (m[2] !== undefined && h1 - h0 !== c1 - c0)) throw new CliError(`invalid port range in ${s}: the host and container ranges must be ascending and of the same length`);
  if (c1 - c0 > 1000) throw new CliError(`invalid port range in ${s}: at most 1000 ports`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= c1 - c0; i++) out.push({ hostPort: m[2] !== undefined ? h0 + i : 0, containerPort: c0 + i, protocol, ...(m[1] ? { hostIp: m[1] } : {}) });
  return out;
}

/** One mapping (the first of a range). */
export function parsePort(s: string): PortMapping {
  return parsePorts(s)[0]!;
}

/** "/host:/ctr[:ro]" (a bind mount; "./rel" is relative to here), or "NAME:/ctr[:ro]" (a named volume: a bare name, no slash), or "/ctr" (an anonymous volume). */
export function parseVolume(s: string, cwd = process.cwd()): VolumeMount | Mount {
  const parts = s.split(':');
  if (parts.length === 1 && s.startsWith('/')) return { type: 'volume', target: s };
  const mode = parts.length === 3 ? parts[2] : 'rw';
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || (mode !== 'ro' && mode !== 'rw')) throw new CliError(`invalid volume ${JSON.stringify(s)}: use HOSTDIR:CONTAINERDIR[:ro] or NAME:CONTAINERDIR[:ro]`);
  if (!parts[1].startsWith('/')) throw new CliError(`invalid volume ${s}: the container path must be absolute`);
  // Docker's rule: a source without a slash is a volume name, a path (absolute or ./relative) a bind mount.
  if (!parts[0].includes('/') && parts[0] !== '.' && parts[0] !== '..') {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(parts[0])) throw new CliError(`invalid volume name ${JSON.stringify(parts[0])}: use letters, digits, _ . -`);
    return { type: 'volume', source: parts[0], target: parts[1], ...(mode === 'ro' ? { readOnly: true } : {}) };
  }
  const hostPath = parts[0].startsWith('/') ? parts[0] : path.resolve(cwd, parts[0]);
  return { hostPath, containerPath: parts[1], readOnly: mode === 'ro' };
}

export function parseRestart(s: string): RestartPolicy {
  if (s === 'no' || s === 'always') return { name: s };
  const m = /^on-failure(?::(\d+))?$/.exec(s);
  if (!m) throw new CliError(`invalid restart policy ${JSON.stringify(s)}: use no, always or on-failure[:N]`);
  return m[1] !== undefined ? { name: 'on-failure', maxRetries: Number(m[1]) } : { name: 'on-failure' };
}

/** "K=V", or "K" to pass the variable from the caller's environment. */
export function parseEnv(list: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i === 0) throw new CliError(`invalid environment variable ${JSON.stringify(kv)}`);
    if (i < 0) {
      if (env[kv] !== undefined) out[kv] = env[kv]!;
    } else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function parseEnvFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

const runOptions = {
  detach: { type: 'boolean', short: 'd' },
  rm: { type: 'boolean' },
  name: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  'env-file': { type: 'string', multiple: true },
  publish: { type: 'string', short: 'p', multiple: true },
  volume: { type: 'string', short: 'v', multiple: true },
  cpus: { type: 'string' },
  memory: { type: 'string', short: 'm' },
  'pids-limit': { type: 'string' },
  user: { type: 'string', short: 'u' },
  workdir: { type: 'string', short: 'w' },
  'read-only': { type: 'boolean' },
  network: { type: 'string' },
  'network-alias': { type: 'string', multiple: true },
  restart: { type: 'string' },
  init: { type: 'boolean' },
  entrypoint: { type: 'string' },
  label: { type: 'string', short: 'l', multiple: true },
  namespace: { type: 'string', short: 'n' },
  priority: { type: 'string' },
  node: { type: 'string' },
  'node-selector': { type: 'string', multiple: true },
  help: { type: 'boolean' },
  ...runFlagOptions,
} as const;

/** Splits "[flags] NAME [ARGS...]": flags end at the first positional, as in Docker. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function splitAtFirstPositional(args: string[], options: FlagSpec): { values: Record<string, unknown>; positional?: string; rest: string[] } {
  let tokens;
  try {
    tokens = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true }).tokens ?? [];
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  const cut = first ? first.index : args.length;
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: args.slice(0, cut), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new CliError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument starting with a '-'.*$/, ''));
  }
  const after = args.slice(cut);
  if (after[0] === '--') after.shift();
  return { values, positional: after[0], rest: after.slice(1) };
}

function invalid(name: string, value: string): never {
  throw new CliError(`invalid --${name} ${JSON.stringify(value)}: expected an integer`);
}

export function buildRunSpec(args: string[], readFile: (f: string) => string = (f) => readFileSync(f, 'utf8')): { spec: ContainerSpec; detach: boolean; interactive: boolean; tty: boolean; cidfile?: string; detachKeys?: string; node?: string; where: string } {
  const { values: v, positional: image, rest } = splitAtFirstPositional(args, runOptions);
  if (v.help) throw new CliError(runUsage, 0);
  if (!image) throw new CliError('run needs an image: llmos run [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const num = (name: string, s: string | undefined, int: boolean): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) throw new CliError(`invalid --${name} ${JSON.stringify(s)}: expected a positive ${int ? 'integer' : 'number'}`);
    return n;
  };
  const network = v.network as string | undefined;
  if (network !== undefined && !['bridge', 'host', 'none'].includes(network) && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(network)) throw new CliError(`invalid --network ${JSON.stringify(network)}: use bridge, host, none or a network's name`);
  const userNetwork = network !== undefined && !['bridge', 'host', 'none'].includes(network) ? network : undefined;
  const aliases = (v['network-alias'] as string[] | undefined) ?? [];
  if (aliases.length && !userNetwork) throw new CliError('--network-alias needs a user-defined --network NAME');
  const envList = [...((v['env-file'] as string[] | undefined) ?? []).flatMap((f) => {
    let text: string;
    try {
      text = readFile(f);
    } catch (e) {
      throw new CliError(`cannot read env file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parseEnvFile(text);
  }), ...((v.env as string[] | undefined) ?? [])];
  const vols = ((v.volume as string[] | undefined) ?? []).map((x) => parseVolume(x));
  const binds = vols.filter((x): x is VolumeMount => 'hostPath' in x);
  const volumeMounts = vols.filter((x): x is Mount => 'type' in x);
  const labels = Object.fromEntries(((v.label as string[] | undefined) ?? []).map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)]));
  const spec: ContainerSpec = {
    image,
    ...(rest.length ? { cmd: rest } : {}),
    ...(v.entrypoint !== undefined ? { entrypoint: (v.entrypoint as string) ? [v.entrypoint as string] : [] } : {}),
    ...(v.name ? { name: v.name as string } : {}),
    ...(envList.length ? { env: parseEnv(envList) } : {}),
    ...(v.publish ? { ports: (v.publish as string[]).flatMap(parsePorts) } : {}),
    ...(binds.length ? { volumes: binds } : {}),
    ...(v.cpus !== undefined ? { cpus: num('cpus', v.cpus as string, false) } : {}),
    ...(v.memory !== undefined ? { memory: dockerMemory(v.memory as string, '--memory') } : {}),
    ...(v['pids-limit'] !== undefined ? { pidsLimit: num('pids-limit', v['pids-limit'] as string, true) } : {}),
    ...(v.user ? { user: v.user as string } : {}),
    ...(v.workdir ? { workingDir: v.workdir as string } : {}),
    ...(v['read-only'] ? { readOnly: true } : {}),
    ...(network && !userNetwork ? { network: network as ContainerSpec['network'] } : {}),
    ...(userNetwork ? { userNetwork, ...(aliases.length ? { networkAliases: aliases } : {}) } : {}),
    ...(v.restart ? { restart: parseRestart(v.restart as string) } : {}),
    ...(v.init ? { init: true } : {}),
    ...(v.rm ? { autoRemove: true } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(v.namespace ? { namespace: v.namespace as string } : {}),
    ...(v.priority !== undefined ? { priority: Number.isInteger(Number(v.priority)) ? Number(v.priority) : invalid('priority', v.priority as string) } : {}),
  };
  const extra = runFlagSpec(v, readFile);
  if (volumeMounts.length) extra.mounts = [...volumeMounts, ...(extra.mounts ?? [])];
  return { spec: { ...spec, ...extra, ...(extra.labels || spec.labels ? { labels: { ...extra.labels, ...spec.labels } } : {}) }, detach: !!v.detach, interactive: !!v.interactive, tty: !!v.tty, cidfile: v.cidfile as string | undefined, detachKeys: v['detach-keys'] as string | undefined, ...(v.node !== undefined ? { node: v.node as string } : {}), where: placementQuery(v.node as string | undefined, v['node-selector'] as string[] | undefined) };
}

/** The create/run query that says where (cluster mode): `node=N`, or `nodeSelector=K=V`s for the scheduler; '' for neither. */
export function placementQuery(node: string | undefined, selectors: readonly string[] = []): string {
  const q = new URLSearchParams();
  if (node !== undefined) q.set('node', node);
  const sel: Record<string, string> = {};
  for (const s of selectors) {
    const i = s.indexOf('=');
    if (i <= 0) throw new CliError(`invalid --node-selector ${JSON.stringify(s)}: expected KEY=VALUE`);
    sel[s.slice(0, i)] = s.slice(i + 1);
  }
  const bad = labelSelectorProblem(sel);
  if (bad) throw new CliError(`invalid --node-selector: ${bad}`);
  if (node !== undefined && selectors.length) throw new CliError('--node and --node-selector exclude each other: --node names the node, --node-selector lets the scheduler choose one');
  for (const [k, v] of Object.entries(sel)) q.append('nodeSelector', `${k}=${v}`);
  return q.toString();
}

const runUsage = `Usage: llmos run [OPTIONS] IMAGE [COMMAND] [ARG...]

Create and start a container (the image is pulled if missing). Without -d the output streams
here and llmos exits with the container's exit code.

Options:
  -d, --detach              run in the background and print the container id
      --rm                  remove the container when it exits
      --name NAME           container name
  -e, --env K=V             set an environment variable (K alone: take it from here)
      --env-file FILE       read K=V lines from a file
  -p, --publish H:C[/tcp|udp]  publish container port C on host port H (reachable on 127.0.0.1:H)
  -v, --volume HOST:CTR[:ro]   bind-mount a host directory
      --cpus N              CPU limit in cores (0.5 = half a core)
  -m, --memory SIZE         memory limit (e.g. 64m, 1g)
      --pids-limit N        maximum number of processes
  -u, --user USER[:GROUP]   user to run as
  -w, --workdir DIR         working directory
      --read-only           mount the root filesystem read-only
      --network MODE        bridge (default), host, none or a user network's name (llmos network create)
      --network-alias A     another DNS name of the container on its user network
      --restart POLICY      no (default), on-failure[:N] or always
      --init                run an init as PID 1 (forwards signals, reaps zombies)
  -i, --interactive         keep stdin open and attach it (-it: a TTY, which needs a terminal here)
      --detach-keys KEYS    key sequence to detach with -i/-t (default ctrl-p,ctrl-q; e.g. ctrl-x,y)
      --entrypoint CMD      override the image's entrypoint
  -l, --label K=V           set a label
  -n, --namespace NS        namespace (tenant) whose quota the container counts against (default: default)
      --priority N          higher may preempt lower-priority workloads when the node is full (default 0)
      --node NODE           cluster mode: run on this node (Ready, not cordoned; see llmos nodes)
      --node-selector K=V   cluster mode: the scheduler picks a node carrying this label (repeatable)`;

/**
 * A command that parses Docker's flags itself (run, create, exec): commander hands every argument
 * after the command name through untouched, as `args`, and shows no help of its own.
 */
export function ownFlagsCommand(program: Command, name: string, description: string): Command {
  return program.command(name).description(description).helpOption(false).allowUnknownOption().allowExcessArguments().passThroughOptions().argument('[args...]');
}
