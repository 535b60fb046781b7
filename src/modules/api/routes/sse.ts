// Server-sent events: the live channel for `--follow` in the CLI and for the dashboard.
import type { FastifyReply } from 'fastify';

export type SseSend = (event: string, data: unknown) => void;

/** Hijacks the reply into an SSE stream; `open` returns the function that ends the subscription. */
export function sendSse(reply: FastifyReply, open: (send: SseSend) => () => void): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send: SseSend = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const close = open(send);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  res.on('close', () => {
    clearInterval(ping);
    close();
  });
}

/** 204 No Content (the routes' typed reply would want a body for it). */
export const noContent = (reply: FastifyReply): FastifyReply => reply.code(204).send();
