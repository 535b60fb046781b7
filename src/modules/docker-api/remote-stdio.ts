// A node's stdio session (exec -i/-t, attach) as the Docker socket's routes use a local one: the
// node's LLMOS API upgrade (api/routes/stdio.ts) through its tunnel, its frames (stdio-wire.ts)
// turned back into a StdioSession. The session's end is the node's end frame; a tunnel that closes
// without one ends it with an error.
import { text } from 'node:stream/consumers';
import type { NodeClient } from '../../contracts/cluster.js';
import type { StdioChunk, StdioEnd, StdioSession } from '../../contracts/containers.js';
import { frameOf, FrameReader, StdioFrame } from '../../contracts/stdio-wire.js';
import { fromHttp } from '../../kernel/http-errors.js';

/** Opens `path` (an attach or exec-stdio URL of the node's API) and relays it. */
export async function remoteStdio(n: NodeClient, path: string, tty: boolean): Promise<StdioSession> {
  const r = await n.upgrade({ method: 'POST', path, headers: { connection: 'Upgrade', upgrade: 'tcp' } });
  const stream = r.stream as NodeJS.ReadWriteStream & { destroy(): void };
  if (r.status !== 101) {
    throw fromHttp(r.status, await text(stream), `node ${n.name}: `);
  }
  // Output is queued as it comes, whether or not the route reads it yet.
  const queue: StdioChunk[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let resolveDone!: (e: StdioEnd) => void;
  const done = new Promise<StdioEnd>((res) => (resolveDone = res));
  const finish = (end: StdioEnd) => {
    if (finished) return;
    finished = true;
    resolveDone(end);
    wake?.();
  };
  const reader = new FrameReader();
  stream.on('data', (d: Buffer) => {
    try {
      for (const f of reader.push(Buffer.from(d))) {
        if (f.type === StdioFrame.stdout || f.type === StdioFrame.stderr) queue.push({ stream: f.type === StdioFrame.stderr ? 'stderr' : 'stdout', data: Buffer.from(f.data) });
        else if (f.type === StdioFrame.end) {
          const end = JSON.parse(f.data.toString() || '{}') as StdioEnd & { error?: string };
          finish(end.error ? { exitCode: 126, ...end } : end);
        }
      }
      wake?.();
    } catch {
      stream.destroy();
    }
  });
  stream.on('error', () => finish({ exitCode: 126 }));
  stream.on('close', () => finish({ exitCode: 126 }));
  const send = (type: number, data: Buffer | string) => {
    if (!finished) stream.write(frameOf(type, data));
  };
  async function* output(): AsyncIterable<StdioChunk> {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (finished) return;
      await new Promise<void>((res) => (wake = res));
      wake = undefined;
    }
  }
  return {
    tty,
    output: output(),
    write: (data) => send(StdioFrame.stdin, data),
    closeStdin: () => send(StdioFrame.end, ''),
    resize: async (rows, cols) => send(StdioFrame.resize, JSON.stringify({ rows, cols })),
    done,
    close: () => {
      finish({ detached: true });
      stream.destroy();
    },
  };
}
