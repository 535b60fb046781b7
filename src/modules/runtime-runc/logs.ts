// conmon's log files (the Kubernetes CRI format): "TIME STREAM F|P TEXT" per line, where P marks
// a partial line continued by the next record of the same stream. Everything here is bytes: a
// container may write anything (binary, invalid UTF-8), and offsets are byte offsets in the file.
import { open, stat } from 'node:fs/promises';
import type { LogLine } from '../../contracts/containers.js';

const NL = 0x0a;
const SP = 0x20;

/** A log line from its bytes: `text` decoded, and `data` (base64) too when the bytes are not UTF-8 (decoding would change them). */
export function logLine(time: string, stream: 'stdout' | 'stderr', bytes: Buffer, partial = false): LogLine {
  const text = bytes.toString('utf8');
  const exact = Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes);
  return { time, stream, text, ...(exact ? {} : { data: bytes.toString('base64') }), ...(partial ? { partial: true } : {}) };
}

/** The bytes a log line stands for, newline included unless it is a partial line. */
export function lineBytes(l: LogLine): Buffer {
  const b = l.data !== undefined ? Buffer.from(l.data, 'base64') : Buffer.from(l.text);
  return l.partial ? b : Buffer.concat([b, Buffer.from('\n')]);
}

export class LogParser {
  private partial = new Map<string, { time: string; chunks: Buffer[] }>();

  /** Feeds complete records of the file (without their newline); returns the log lines they finish. */
  push(records: readonly Buffer[]): LogLine[] {
    const out: LogLine[] = [];
    for (const raw of records) {
      // "TIME STREAM TAG[ TEXT]": the header is ASCII, the text any bytes.
      const s1 = raw.indexOf(SP);
      const s2 = s1 < 0 ? -1 : raw.indexOf(SP, s1 + 1);
      if (s2 < 0) continue;
      const time = raw.subarray(0, s1).toString('latin1');
      const stream = raw.subarray(s1 + 1, s2).toString('latin1');
      const tag = raw[s2 + 1];
      if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 0x46 && tag !== 0x50) || (raw.length > s2 + 2 && raw[s2 + 2] !== SP)) continue;
      const text = raw.subarray(Math.min(raw.length, s2 + 3));
      const prev = this.partial.get(stream);
      if (tag === 0x50) {
        if (prev) prev.chunks.push(text);
        else this.partial.set(stream, { time, chunks: [text] });
        continue;
      }
      this.partial.delete(stream);
      out.push(logLine(prev?.time ?? time, stream, prev ? Buffer.concat([...prev.chunks, text]) : text));
    }
    return out;
  }

  /**
   * The partial lines still pending, as lines without a newline: conmon writes the last output
   * without a newline as a P record and never finishes it, so at the end (the container exited,
   * or a read of what is there so far) they are the output's last bytes.
   */
  flush(): LogLine[] {
    const out = [...this.partial.entries()].map(([stream, p]) => logLine(p.time, stream as 'stdout' | 'stderr', Buffer.concat(p.chunks), true));
    this.partial.clear();
    return out;
  }
}

/** Splits bytes into records at each newline; `rest` is what follows the last newline. */
export function splitRecords(buf: Buffer): { records: Buffer[]; consumed: number } {
  const records: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, start)) {
    records.push(buf.subarray(start, i));
    start = i + 1;
  }
  return { records, consumed: start };
}

export function parseLog(file: Buffer | string, opts: { flush?: boolean } = {}): LogLine[] {
  const p = new LogParser();
  const lines = p.push(splitRecords(Buffer.isBuffer(file) ? file : Buffer.from(file)).records);
  return opts.flush ? [...lines, ...p.flush()] : lines;
}

/** Reads at most this much of the file at a time (a follower keeps up in bounded memory). */
const chunkMax = 4 * 2 ** 20;

/** Reads a log file from byte `offset`; returns whole records and the byte offset after the last one. */
export async function readFrom(file: string, offset: number): Promise<{ lines: Buffer[]; offset: number; truncated: boolean }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { lines: [], offset, truncated: false };
  }
  // conmon truncates the file when it outgrows --log-size-max: start again from the top.
  const truncated = size < offset;
  const from = truncated ? 0 : offset;
  if (size === from) return { lines: [], offset: from, truncated };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size - from, chunkMax));
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    let { records, consumed } = splitRecords(buf.subarray(0, bytesRead));
    // A single record longer than a chunk (conmon splits lines long before that): take it whole.
    if (consumed === 0 && bytesRead === chunkMax) ({ records, consumed } = { records: [buf.subarray(0, bytesRead)], consumed: bytesRead });
    return { lines: records, offset: from + consumed, truncated };
  } finally {
    await fh.close();
  }
}
