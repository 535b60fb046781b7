// The output side: logs (multiplexed frames, follow, since/until, timestamps, tail), attach
// (stdout/stderr from the log over the hijacked connection; with stdin or a TTY, conmon's attach
// socket through the runtime's stdio session), resize, and wait (not-running, next-exit, removed).
import type { Writable } from 'node:stream';
import type { LogLine } from '../../../contracts/containers.js';
import { errorMessage } from '../../../kernel/errors.js';
import { qbool, qint, type Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, orNoSuch } from '../errors.js';
import { frame, STDERR, STDOUT } from '../frames.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';
import { ID } from './containers.js';
import { bridge, stdioApi } from './stdio-bridge.js';

/** Docker's since/until: unix seconds with an optional fraction, or an RFC 3339 time. */
export function parseTime(v: string | null, name: string): number | undefined {
  if (!v || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badParameter(`invalid ${name} ${JSON.stringify(v)}`);
  return t;
}

export function parseTail(v: string | null): number | undefined {
  if (v === null || v === '' || v === 'all') return undefined;
  if (!/^\d+$/.test(v)) throw badParameter(`invalid tail ${JSON.stringify(v)}: a number or all`);
  return Number(v);
}

interface LogFilter {
  stdout: boolean;
  stderr: boolean;
  since?: number;
  until?: number;
  timestamps: boolean;
}

/** One log line as a frame, or undefined when the filter drops it. */
export function logFrame(l: LogLine, f: LogFilter): Buffer | undefined {
  if (l.stream === 'stdout' ? !f.stdout : !f.stderr) return undefined;
  const t = Date.parse(l.time);
  if (f.since !== undefined && t < f.since) return undefined;
  if (f.until !== undefined && t > f.until) return undefined;
  // Runtimes that keep bytes send them base64 in `data`, and mark a last line without a newline.
  const x = l as LogLine & { data?: string; partial?: boolean };
  const body = x.data !== undefined ? Buffer.from(x.data, 'base64') : Buffer.from(l.text, 'utf8');
  const parts = [...(f.timestamps ? [Buffer.from(`${l.time.replace(/\+00:00$/, 'Z')} `)] : []), body, ...(x.partial ? [] : [Buffer.from('\n')])];
  return frame(l.stream === 'stdout' ? STDOUT : STDERR, Buffer.concat(parts));
}

export function streamRoutes(r: Router, d: DockerDeps): void {
  const ctrs = () => d.containers();

  r.on('GET', `/containers/${ID}/logs`, async (c) => {
    const info = await orNoSuch('container', c.params.id!, () => ctrs().inspect(c.params.id!));
    const f: LogFilter = { stdout: qbool(c, 'stdout'), stderr: qbool(c, 'stderr'), since: parseTime(c.query.get('since'), 'since'), until: parseTime(c.query.get('until'), 'until'), timestamps: qbool(c, 'timestamps') };
    if (!f.stdout && !f.stderr) throw badParameter('Bad parameters: you must choose at least one stream');
    const tail = parseTail(c.query.get('tail'));
    const follow = qbool(c, 'follow') && f.until === undefined;
    const out = c.stream(200, 'application/vnd.docker.multiplexed-stream');
    await pump(out, c, () => ctrs().logs(info.id, { tail, follow, signal: c.signal }), f);
    out.end();
  });

  r.on('POST', `/containers/${ID}/attach`, async (c) => {
    const info = await orNoSuch('container', c.params.id!, () => ctrs().inspect(c.params.id!));
    const f: LogFilter = { stdout: qbool(c, 'stdout'), stderr: qbool(c, 'stderr'), timestamps: false };
    const stream = qbool(c, 'stream');
    // stdin, or a TTY's raw output: conmon's attach socket (the log has no stdin, and no raw tty bytes to follow).
    if (stream && (qbool(c, 'stdin') || info.spec.tty)) return attachStdio(c, d, info.id, f);
    // A container not started yet streams everything from its start; a running one only what
    // comes next, unless logs=1 asks for what it printed before.
    const tail = qbool(c, 'logs') || dockerState(info) === 'created' ? undefined : 0;
    const release = ctrs().hold?.(info.id);
    try {
      const raw = c.hijack();
      // The CLI starts the container only after this answer: until then a follower would see a
      // container that does not run and end at once (docker run then printed nothing, under load).
      if (stream && dockerState(info) === 'created') await untilStarted(() => ctrs().inspect(info.id), c.signal);
      if (f.stdout || f.stderr) await pump(raw.out, c, () => ctrs().logs(info.id, { tail, follow: stream, signal: c.signal }), f);
      raw.end();
    } finally {
      release?.();
    }
  });

  r.on('POST', `/containers/${ID}/resize`, async (c) => {
    const info = await orNoSuch('container', c.params.id!, () => ctrs().inspect(c.params.id!));
    await stdioApi(d, 'POST /containers/{id}/resize').resize(info.id, qint(c, 'h') ?? 0, qint(c, 'w') ?? 0);
    c.empty(200);
  });

  r.on('POST', `/containers/${ID}/wait`, async (c) => {
    const cond = c.query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw badParameter(`invalid condition ${cond}`);
    const a = ctrs();
    const info = await orNoSuch('container', c.params.id!, () => a.inspect(c.params.id!));
    // Registered before the answer starts: the CLI sends start once it has the headers.
    let removed: Promise<void> | undefined;
    if (cond === 'removed') {
      removed = new Promise<void>((resolve) => {
        const done = () => {
          off();
          resolve();
        };
        const off = d.subscribe((e) => {
          if (e.topic === '/containers/destroy' && e.data?.id === info.id) done();
        });
        c.signal.addEventListener('abort', done, { once: true });
      });
    }
    const exited = cond !== 'next-exit' && dockerState(info) === 'exited' ? Promise.resolve({ exitCode: info.exitCode ?? 0 }) : a.wait(info.id, c.signal);
    exited.catch(() => undefined); // observed below; an abort before then must not be unhandled
    const out = c.stream(200, 'application/json');
    let body: { StatusCode: number; Error: { Message: string } | null };
    try {
      const r0 = await exited;
      if (removed) {
        await a.inspect(info.id).then(
          () => removed,
          () => undefined,
        );
      }
      body = { StatusCode: r0.exitCode, Error: null };
    } catch (e) {
      body = { StatusCode: -1, Error: { Message: errorMessage(e) } };
    }
    if (!c.signal.aborted) out.end(JSON.stringify(body) + '\n');
  });
}

async function attachStdio(c: Call, d: DockerDeps, id: string, f: LogFilter): Promise<void> {
  const session = await stdioApi(d, 'POST /containers/{id}/attach with stdin or a TTY').attach(id, { stdin: qbool(c, 'stdin'), detachKeys: c.query.get('detachKeys') ?? undefined });
  const release = d.containers().hold?.(id);
  try {
    const raw = c.hijack();
    await bridge(session, raw, c.signal, f, Number(c.headers['content-length'] ?? 0));
    raw.end();
  } finally {
    session.close();
    release?.();
  }
}

async function pump(out: Writable, c: Call, lines: () => AsyncIterable<LogLine>, f: LogFilter): Promise<void> {
  try {
    for await (const l of lines()) {
      if (c.signal.aborted) break;
      const b = logFrame(l, f);
      if (b && !out.write(b)) await drained(out, c.signal);
    }
  } catch (e) {
    if (!c.signal.aborted) out.write(frame(STDERR, `llmos: ${errorMessage(e)}\n`));
  }
}

/** Resolves once the container has left `created` (started, or removed), or the client has gone. */
async function untilStarted(inspect: () => Promise<{ state: string }>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const state = await inspect().then((i) => i.state, () => 'gone');
    if (state !== 'created') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function drained(out: Writable, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => (out.off('drain', done), signal.removeEventListener('abort', done), resolve());
    out.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
