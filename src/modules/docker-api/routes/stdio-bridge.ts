// A hijacked Docker connection joined to a runtime stdio session (attach, exec start): the
// client's bytes are the process's stdin (its half-close is stdin's end), the output goes back
// raw with a TTY and as multiplexed frames without one.
import type { ContainerStdioApi, StdioEnd, StdioSession } from '../../../contracts/containers.js';
import type { RawStream } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { notImplemented } from '../errors.js';
import { frame, STDERR, STDOUT } from '../frames.js';

/** The runtime's terminals and stdin, or a 501 naming the endpoint when this build has none. */
export function stdioApi(d: DockerDeps, endpoint: string): ContainerStdioApi {
  const c = d.containers() as unknown as Partial<ContainerStdioApi>;
  if (!c.attach || !c.execStdio || !c.resize) throw notImplemented(endpoint);
  return c as ContainerStdioApi;
}

export async function bridge(s: StdioSession, raw: RawStream, signal: AbortSignal, want: { stdout: boolean; stderr: boolean }, bodyLength = 0): Promise<StdioEnd> {
  // A request body (dockerode sends its options as one) comes before the stream: not stdin.
  let skip = Number.isSafeInteger(bodyLength) && bodyLength > 0 ? bodyLength : 0;
  raw.in.on('data', (b: Buffer) => {
    if (skip) {
      const n = Math.min(skip, b.length);
      skip -= n;
      b = b.subarray(n);
      if (!b.length) return;
    }
    s.write(b);
  });
  raw.in.on('end', () => s.closeStdin());
  raw.in.on('error', () => s.close());
  const gone = () => s.close();
  signal.addEventListener('abort', gone, { once: true });
  try {
    for await (const ch of s.output) {
      if (signal.aborted) break;
      if (!(ch.stream === 'stdout' ? want.stdout : want.stderr)) continue;
      const b = s.tty ? ch.data : frame(ch.stream === 'stdout' ? STDOUT : STDERR, ch.data);
      if (!raw.out.write(b)) await new Promise<void>((resolve) => {
        const done = () => (raw.out.off('drain', done), signal.removeEventListener('abort', done), resolve());
        raw.out.once('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return await s.done;
  } finally {
    signal.removeEventListener('abort', gone);
  }
}
