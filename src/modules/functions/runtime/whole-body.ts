// For callers that need a response whole (async results, cron, the API's invoke): a streamed body
// is read to its end (up to a limit) and a WebSocket, which only the gateway can serve, is closed.
import { InvocationFailed } from '../failures.js';
import type { InvokeResponse } from './instance.js';

export async function wholeBody(res: InvokeResponse, maxBytes = 64 * 2 ** 20): Promise<InvokeResponse> {
  const { stream, webSocket, ...rest } = res;
  webSocket?.close(1011, 'no WebSocket here: only the gateway takes upgrades');
  if (!stream) return rest;
  const parts: Uint8Array[] = rest.body?.byteLength ? [rest.body] : [];
  let total = parts[0]?.byteLength ?? 0;
  for (let c = await stream.read(); c; c = await stream.read()) {
    total += c.byteLength;
    if (total > maxBytes) {
      stream.cancel('too large');
      throw new InvocationFailed('bad-response', `streamed response passed ${maxBytes} bytes`);
    }
    parts.push(c);
  }
  return { ...rest, body: total ? Buffer.concat(parts) : null };
}
