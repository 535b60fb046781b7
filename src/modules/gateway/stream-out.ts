// A function's streamed response body, written to the client as the function produces it: one
// chunk pulled at a time and the next only once the socket drained (backpressure reaches the
// function's stream); a client that goes away cancels the function's stream.
import type { ServerResponse } from 'node:http';
import { InvocationFailed } from '../../kernel/invocation-failed.js';
import type { InvokeResponse } from '../functions/runtime/instance.js';

/** Writes a response whose body streams (out.stream) or refuses a 101 outside an upgrade. */
export async function sendStreamed(res: ServerResponse, out: InvokeResponse, flat: string[], fn: string, count: (bytes: number) => void = () => undefined): Promise<void> {
  if (out.webSocket) {
    out.webSocket.close(1011, 'not a WebSocket upgrade request');
    throw new InvocationFailed('bad-response', `function ${fn} answered 101 with a WebSocket to a request that asked for no upgrade`);
  }
  const stream = out.stream!;
  const headers: string[] = [];
  // No content-length: the size is not known up front (node sends chunked).
  for (let i = 0; i < flat.length; i += 2) if (flat[i] !== 'content-length') headers.push(flat[i]!, flat[i + 1]!);
  try {
    res.writeHead(out.status, out.statusText || undefined, headers);
  } catch (e) {
    stream.cancel('bad response');
    throw new InvocationFailed('bad-response', `function ${fn} answered what HTTP cannot carry: ${(e as Error).message}`);
  }
  let gone = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    stream.cancel('the client went away');
  });
  const write = async (b: Uint8Array) => {
    count(b.byteLength);
    if (res.write(b)) return;
    await new Promise<void>((r) => {
      res.once('drain', r);
      res.once('close', r);
    });
  };
  if (out.body?.byteLength) await write(out.body);
  res.flushHeaders();
  for (;;) {
    if (gone) return;
    let c: Uint8Array | null;
    try {
      c = await stream.read();
    } catch {
      // Headers are out: all a failed stream can do now is end the response short.
      return void res.destroy();
    }
    if (gone) return;
    if (!c) return void res.end();
    await write(c);
  }
}
