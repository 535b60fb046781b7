// Exec: create, start (hijacked connection, stdout/stderr frames), inspect (ExitCode), on the
// contract's exec. It runs the command to its end and then sends the output, so output streams
// out when the command ends; -i and -t need the runtime's TTY/stdin support (400 until then).
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../../kernel/errors.js';
import { jsonBody } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, DockerError, orNoSuch } from '../errors.js';
import { frame, STDERR, STDOUT } from '../frames.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';
import { ID } from './containers.js';

interface ExecRecord {
  id: string;
  containerId: string;
  cmd: string[];
  env?: Record<string, string>;
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
    if (b.Tty === true) throw badParameter('exec with a TTY (-t) is not supported by LLMOS yet');
    if (b.AttachStdin === true) throw badParameter('exec with stdin (-i) is not supported by LLMOS yet');
    for (const k of ['User', 'WorkingDir', 'DetachKeys'] as const) if (b[k]) throw badParameter(`exec ${k} is not supported by LLMOS yet`);
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
    execs.set(id, { id, containerId: info.id, cmd: cmd as string[], env, stdout: b.AttachStdout !== false, stderr: b.AttachStderr !== false, running: false, exitCode: null, createdAt: Date.now() });
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
    if (b.Tty) throw badParameter('exec with a TTY (-t) is not supported by LLMOS yet');
    if (e.running || e.exitCode !== null) throw new DockerError(409, `exec ${e.id} has already run`);
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
    find(c.params.id!);
    throw new DockerError(409, 'exec has no TTY');
  });

  r.on('GET', '/exec/(?<id>[^/]+)/json', async (c) => {
    const e = find(c.params.id!);
    c.json(200, {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: false, entrypoint: e.cmd[0], arguments: e.cmd.slice(1), privileged: false, user: '' },
      OpenStdin: false,
      OpenStderr: e.stderr,
      OpenStdout: e.stdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: '',
      Pid: 0,
    });
  });
}
