// How the protocol's messages (protocol.ts) travel between the daemon and a function host: over a
// socketpair (the child's fd 3), each message a frame of [u32 length][v8-serialized value], and
// every frame sent during one turn of the event loop written with one write. Node's fork IPC did a
// write (and woke the peer) per message and ran its serializer in JS; on a busy machine the
// wake-ups per request, not the bytes, were the cost. Values are v8-serialized as fork's
// `advanced` mode did: bodies travel as bytes, a value that cannot be cloned throws at send().
// The two messages of every warm request have a cheaper form of their own (fast-frames.ts).
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { decodeFast, encodeFast, V8_TAG } from './fast-frames.js';

/** Frames larger than this are refused on receipt (a runaway peer); bodies are capped far below. */
const MAX_FRAME = 1 << 30;

export class Wire<In, Out> {
  private queued: Buffer[] = [];
  private scheduled = false;
  private chunks: Buffer[] = [];
  private have = 0;
  /** Bytes needed before the next frame can be read (its header, then header + body). */
  private need = 4;

  constructor(
    private readonly sock: Duplex,
    private readonly onMessage: (m: In) => void,
    private readonly onBroken: (why: string) => void = () => undefined,
  ) {
    sock.on('data', (c: Buffer) => this.read(c));
  }

  /** Queues a message (serialized now, so a value that cannot be sent throws here); written at the end of this turn. */
  send(m: Out): void {
    const fast = encodeFast(m);
    if (fast) return this.sendFrame(fast);
    const body = serialize(m);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.queued.push(head);
    this.sendFrame(body);
  }

  /** Queues a whole frame made by fast-frames.ts (length prefix included). */
  sendFrame(frame: Buffer): void {
    this.queued.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const q = this.queued;
    this.queued = [];
    if (!q.length || this.sock.destroyed || !this.sock.writable) return;
    this.sock.write(q.length === 1 ? q[0]! : Buffer.concat(q));
  };

  private read(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.have += chunk.length;
    // A large frame arrives in many chunks: join them once, when it is complete.
    if (this.have < this.need) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.have);
    let off = 0;
    this.need = 4;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len > MAX_FRAME) {
        this.sock.destroy();
        return this.onBroken(`a frame of ${len} bytes (limit ${MAX_FRAME})`);
      }
      if (buf.length - off - 4 < len) {
        this.need = 4 + len;
        break;
      }
      const frame = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      // The peer runs untrusted code: a frame that is not a message, or that its handler throws
      // on, breaks the connection (the host is killed and replaced), never this process.
      let m: unknown;
      try {
        m = frame[0] === V8_TAG ? deserialize(frame) : decodeFast(frame);
        if (typeof m !== 'object' || m === null || typeof (m as { t?: unknown }).t !== 'string') throw new Error('not a message');
        this.onMessage(m as In);
      } catch (e) {
        this.sock.destroy();
        return this.onBroken(`an unreadable frame: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    const rest = buf.length - off;
    this.chunks = rest ? [off ? buf.subarray(off) : buf] : [];
    this.have = rest;
  }
}
