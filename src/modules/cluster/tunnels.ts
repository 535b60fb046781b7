// The open tunnels of the agents (KubeEdge's and Rancher's reverse tunnel: an edge node behind
// NAT cannot be dialled, so it dials). An agent upgrades an authenticated HTTPS request, and the
// server speaks HTTP/2 as the client over that connection; a newer tunnel of a node replaces its
// older one. A session that stops answering pings is closed, so the agent reconnects.
import http2 from 'node:http2';
import type { Logger } from 'pino';
import type { NodeClient } from '../../contracts/cluster.js';
import { Unavailable } from '../../kernel/errors.js';
import { jsDuplex } from '../../kernel/js-duplex.js';
import { TunnelClient } from './node-client.js';

export class Tunnels {
  private readonly open = new Map<string, { session: http2.ClientHttp2Session; client: TunnelClient; timer: NodeJS.Timeout }>();

  constructor(private readonly log: Logger, private readonly pingMs = 5000, private readonly onChange?: (name: string, up: boolean) => void) {}

  accept(name: string, socket: NodeJS.ReadWriteStream & { destroy(): void }, head: Buffer): void {
    const session = http2.connect(`http://${name}.node.llmos`, { createConnection: () => jsDuplex(socket, head) });
    const client = new TunnelClient(name, session);
    // A frozen or vanished agent never answers a ping (its TCP connection may stay open for
    // minutes), so an unanswered ping is a dead tunnel: closed after deadMs, and requests to the
    // node then fail with "not connected" instead of hanging.
    const deadMs = Math.max(3 * this.pingMs, 10_000);
    let lastAnswer = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - lastAnswer > deadMs && !session.destroyed) {
        this.log.warn(`cluster: tunnel of node ${name} has not answered a ping for ${Math.round((Date.now() - lastAnswer) / 1000)} s; closing it`);
        session.destroy();
        return;
      }
      try {
        session.ping((err) => {
          if (!err) lastAnswer = Date.now();
          else if (!session.destroyed) {
            this.log.warn(`cluster: tunnel of node ${name} stopped answering (${err.message}); closing it`);
            session.destroy();
          }
        });
      } catch {
        // Too many unanswered pings (ERR_HTTP2_PING_LENGTH/ping queue full): the deadline above decides.
      }
    }, this.pingMs);
    timer.unref();
    const prev = this.open.get(name);
    this.open.set(name, { session, client, timer });
    if (prev) this.close(prev);
    const gone = () => {
      clearInterval(timer);
      if (this.open.get(name)?.session === session) {
        this.open.delete(name);
        this.log.info(`cluster: tunnel of node ${name} closed`);
        this.onChange?.(name, false);
      }
    };
    session.on('close', gone);
    session.on('error', (e) => this.log.debug({ err: e }, `cluster: tunnel of node ${name}`));
    this.log.info(`cluster: tunnel of node ${name} open`);
    this.onChange?.(name, true);
  }

  private close(t: { session: http2.ClientHttp2Session; timer: NodeJS.Timeout }): void {
    clearInterval(t.timer);
    t.session.destroy();
  }

  client(name: string): NodeClient {
    const t = this.open.get(name);
    if (!t || t.session.destroyed) throw new Unavailable(`node ${name} is not connected (no tunnel from its agent; see llmos nodes)`);
    return t.client;
  }

  names(): string[] {
    return [...this.open.keys()];
  }

  /** Closes one node's tunnel (node rm). */
  drop(name: string): void {
    const t = this.open.get(name);
    if (!t) return;
    this.open.delete(name);
    this.close(t);
  }

  closeAll(): void {
    for (const t of this.open.values()) this.close(t);
    this.open.clear();
  }
}
