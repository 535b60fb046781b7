// conmon's log files (the Kubernetes CRI format): "TIME STREAM F|P TEXT" per line, where P marks
// a partial line continued by the next record of the same stream.
import { open, stat } from 'node:fs/promises';
import type { LogLine } from '../../contracts/containers.js';

export class LogParser {
  private partial = new Map<string, { time: string; text: string }>();

  /** Feeds complete lines of the file; returns the log lines they finish. */
  push(rawLines: readonly string[]): LogLine[] {
    const out: LogLine[] = [];
    for (const raw of rawLines) {
      const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/.exec(raw);
      if (!m) continue;
      const [, time, stream, tag, text] = m as unknown as [string, string, 'stdout' | 'stderr', string, string];
      const prev = this.partial.get(stream);
      if (tag === 'P') {
        this.partial.set(stream, { time: prev?.time ?? time, text: (prev?.text ?? '') + text });
        continue;
      }
      this.partial.delete(stream);
      out.push({ time: prev?.time ?? time, stream, text: (prev?.text ?? '') + text });
    }
    return out;
  }
}

export function parseLog(text: string): LogLine[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return new LogParser().push(lines);
}

/** Reads a log file from `offset`; returns whole lines and the offset after the last one. */
export async function readFrom(file: string, offset: number): Promise<{ lines: string[]; offset: number; truncated: boolean }> {
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
    const buf = Buffer.alloc(size - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { lines: [], offset: from, truncated };
    return { lines: text.slice(0, end).split('\n'), offset: from + Buffer.byteLength(text.slice(0, end + 1)), truncated };
  } finally {
    await fh.close();
  }
}
