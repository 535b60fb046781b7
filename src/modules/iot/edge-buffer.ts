// The edge node's telemetry buffer: the points not yet acknowledged by the server, bounded (when
// full the oldest point is dropped and counted), kept in a file of the module's directory so an
// agent restarted while cut off still sends them. Sequence numbers let the server apply each point
// once; they start at least at the clock in µs, so they keep growing across restarts even when the
// file is older than the last acknowledgement.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { EdgePoint } from '../../contracts/iot.js';

export class EdgeBuffer {
  private points: EdgePoint[] = [];
  /** Index of the oldest point in `points` (a ring would save the shifts; this keeps acks O(1)). */
  private head = 0;
  private nextSeq: number;
  dropped = 0;
  /** Changed since the last save. */
  dirty = false;

  constructor(readonly capacity: number, now: number = Date.now()) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`buffer capacity must be a positive integer, got ${capacity}`);
    this.nextSeq = now * 1000;
  }

  get size(): number {
    return this.points.length - this.head;
  }

  push(device: string, property: string, t: number, v: number): void {
    if (this.size >= this.capacity) {
      this.head++;
      this.dropped++;
    }
    this.points.push([this.nextSeq++, device, property, t, v]);
    this.dirty = true;
    this.compact();
  }

  /** The oldest points, at most max (they stay until acknowledged). */
  peek(max: number): EdgePoint[] {
    return this.points.slice(this.head, this.head + max);
  }

  /** Drops the points the server has applied (seq <= ackSeq). */
  ack(ackSeq: number): void {
    const before = this.head;
    while (this.head < this.points.length && this.points[this.head]![0] <= ackSeq) this.head++;
    if (this.head !== before) this.dirty = true;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.points.length) {
      this.points = this.points.slice(this.head);
      this.head = 0;
    }
  }

  /** Writes the buffer atomically (a crash mid-write leaves the previous file). */
  async save(file: string): Promise<void> {
    this.dirty = false;
    const body = JSON.stringify({ nextSeq: this.nextSeq, dropped: this.dropped, points: this.points.slice(this.head) });
    await writeFile(file + '.tmp', body, { mode: 0o600 });
    await rename(file + '.tmp', file);
  }

  /** The buffer saved in file (none: empty); points past the capacity are dropped oldest first. */
  static async load(file: string, capacity: number, now: number = Date.now()): Promise<EdgeBuffer> {
    const b = new EdgeBuffer(capacity, now);
    let saved: { nextSeq?: number; dropped?: number; points?: EdgePoint[] };
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as typeof saved;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return b;
      throw e;
    }
    const pts = Array.isArray(saved.points) ? saved.points.filter((p) => Array.isArray(p) && p.length === 5) : [];
    const keep = pts.slice(Math.max(0, pts.length - capacity));
    b.points = keep;
    b.dropped = (Number(saved.dropped) || 0) + pts.length - keep.length;
    b.nextSeq = Math.max(b.nextSeq, Number(saved.nextSeq) || 0, (keep.at(-1)?.[0] ?? 0) + 1);
    return b;
  }
}
