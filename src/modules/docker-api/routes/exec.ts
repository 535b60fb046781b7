// Exec: create, start (hijacked connection, stdout/stderr frames), resize, inspect (ExitCode).
// Without stdin or a TTY it runs on the contract's exec (output sent when the command ends);
// with -i or -t it runs on the runtime's stdio session, streaming both ways.
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../../kernel/errors.js';
import type { StdioSession } from '../../../contracts/containers.js';
import { jsonBody, qint, type Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, DockerError, orNoSuch } from '../errors.js';
import { frame, STDERR, STDOUT } from '../frames.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';
import { ID } from './containers.js';
import { bridge, stdioApi } from './stdio-bridge.js';

interface ExecRecord {
  id: string;
  containerId: string;
  cmd: string[];
  env?: Record<string, string>;
  tty: boolean;
  stdin: boolean;
  user?: string;
  workingDir?: string;
  detachKeys?: string;
  session?: StdioSession;
  size?: { rows: number; cols: number };
  stdout: boolean;
  stderr: boolean;
  running: boolean;
  exitCode: number | null;
  createdAt: number;
}

/** Exec instances live in memory, as Docker's do; ended ones are dropped after an hour. */
const TTL_MS = 3600_000;
const MAX_EXECS = 1000;

export function execRoutes(r: Router, d: DockerDeps): void {
  const execs = new Map<string, ExecRecord>();
  const sweep = () => {
    const now = Date.now();
    for (const [k, v] of execs) if (!v.running && now - v.createdAt > TTL_MS) execs.delete(k);
  };

  r.on('POST', `/containers/${ID}/exec`, async (c) => {
    const b = ((await jsonBody<Record<string, unknown>>(c)) ?? {}) as Record<string, unknown>;
    const info = await orNoSuch('container', c.params.id!, () => d.containers().inspect(c.params.id!));
    if (dockerState(info) !== 'running') throw new DockerError(409, `Container ${info.id} is not running`);
    const tty = b.Tty === true;
    const stdin = b.AttachStdin === true;
    for (const k of ['User', 'WorkingDir', 'DetachKeys'] as const) if (b[k] !== undefined && b[k] !== '' && typeof b[k] !== 'string') throw badParameter(`exec ${k} must be a string`);
    // User and WorkingDir run on the stdio path (it resolves users in the image); a plain exec has neither.
    for (const k of ['User', 'WorkingDir'] as const) if (b[k] && !tty && !stdin && !('execStdio' in d.containers())) throw badParameter(`exec ${k} is not supported by this runtime`);
    if (b.Privileged === true) throw badParameter('privileged exec is not supported by LLMOS');
    const cmd = b.Cmd;
    if (!Array.isArray(cmd) || !cmd.length || !cmd.every((x) => typeof x === 'string')) throw badParameter('No exec command specified');
    let env: Record<string, string> | undefined;
    if (Array.isArray(b.Env) && b.Env.length) {
      env = {};
      for (const e of b.Env as unknown[]) {
        const s = String(e);
        const i = s.indexOf('=');
        if (i <= 0) throw badParameter(`Env entry ${JSON.stringify(s)} is not KEY=VALUE`);
        env[s.slice(0, i)] = s.slice(i + 1);
      }
    }
    sweep();
    if (execs.size >= MAX_EXECS) throw new DockerError(429, `too many exec instances (${MAX_EXECS})`);
    const id = randomBytes(32).toString('hex');
    const opt = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    execs.set(id, { id, containerId: info.id, cmd: cmd as string[], env, tty, stdin, user: opt(b.User), workingDir: opt(b.WorkingDir), detachKeys: typeof b.DetachKeys === 'string' ? b.DetachKeys : undefined, stdout: b.AttachStdout !== false, stderr: b.AttachStderr !== false, running: false, exitCode: null, createdAt: Date.now() });
    c.json(201, { Id: id });
  });

  const find = (id: string) => {
    const e = execs.get(id);
    if (!e) throw new DockerError(404, `No such exec instance: ${id}`);
    return e;
  };

  r.on('POST', '/exec/(?<id>[^/]+)/start', async (c) => {
    const e = find(c.params.id!);
    const b = (await jsonBody<{ Detach?: boolean; Tty?: boolean }>(c)) ?? {};
    if (e.running || e.exitCode !== null) throw new DockerError(409, `exec ${e.id} has already run`);
    if (e.tty || e.stdin || e.user || e.workingDir || b.Tty) return startStdio(c, d, e, !!b.Detach);
    e.running = true;
    const run = d
      .containers()
      .exec(e.containerId, e.cmd, { env: e.env })
      .then(
        (res) => ((e.exitCode = res.exitCode), res),
        (err: unknown) => ((e.exitCode = 126), { exitCode: 126, stdout: '', stderr: `llmos: ${errorMessage(err)}\n` }),
      )
      .finally(() => (e.running = false));
    if (b.Detach) {
      void run;
      return c.empty(200);
    }
    const raw = c.hijack('application/vnd.docker.multiplexed-stream');
    const res = await run;
    if (e.stdout && res.stdout) raw.out.write(frame(STDOUT, res.stdout));
    if (e.stderr && res.stderr) raw.out.write(frame(STDERR, res.stderr));
    raw.end();
  });

  r.on('POST', '/exec/(?<id>[^/]+)/resize', async (c) => {
    const e = find(c.params.id!);
    const size = { rows: qint(c, 'h') ?? 0, cols: qint(c, 'w') ?? 0 };
    if (!e.tty) throw new DockerError(409, 'exec has no TTY');
    // The CLI may resize before the session exists: kept and applied at start.
    if (e.session) await e.session.resize(size.rows, size.cols);
    else e.size = size;
    c.empty(201);
  });

  r.on('GET', '/exec/(?<id>[^/]+)/json', async (c) => {
    const e = find(c.params.id!);
    c.json(200, {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: e.tty, entrypoint: e.cmd[0], arguments: e.cmd.slice(1), privileged: false, user: e.user ?? '' },
      OpenStdin: e.stdin,
      OpenStderr: e.stderr,
      OpenStdout: e.stdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.detachKeys ?? '',
      Pid: 0,
    });
  });
}

/** Start on the runtime's stdio session: streams both ways, the exit code recorded when it ends. */
async function startStdio(c: Call, d: DockerDeps, e: ExecRecord, detach: boolean): Promise<void> {
  const api = stdioApi(d, 'POST /exec/{id}/start with stdin or a TTY');
  e.running = true;
  let s: StdioSession;
  try {
    s = await api.execStdio(e.containerId, e.cmd, { tty: e.tty, stdin: e.stdin && !detach, env: e.env, user: e.user, workingDir: e.workingDir, detachKeys: e.detachKeys });
  } catch (err) {
    e.running = false;
    e.exitCode = 126;
    throw err;
  }
  e.session = s;
  void s.done.then((end) => {
    e.running = false;
    e.exitCode = end.exitCode ?? null;
    e.session = undefined;
  });
  if (e.size) await s.resize(e.size.rows, e.size.cols).catch(() => undefined);
  if (detach) {
    void (async () => {
      for await (const _ of s.output); // nobody reads a detached exec's output: drain it
    })();
    return c.empty(200);
  }
  const raw = c.hijack(e.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  try {
    await bridge(s, raw, c.signal, { stdout: e.stdout, stderr: e.stderr });
  } finally {
    raw.end();
  }
}
