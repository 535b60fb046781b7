// The log file sink: appends JSON lines with plain synchronous writes and survives write errors.
// A full disk (ENOSPC) or a removed mount must not crash the daemon, as an unhandled 'error' on
// a WriteStream did: lines that cannot be written are dropped and counted, and the first line
// written after space returns says how many were lost.
import { closeSync, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';

export class LogFileSink {
  /** Lines lost since the last successful write (reported in the next line that gets through). */
  dropped = 0;
  /** Lines lost since start, for status. */
  droppedTotal = 0;
  private fd: number | undefined;

  constructor(private readonly file: string) {
    this.open();
  }

  private open(): boolean {
    if (this.fd !== undefined) return true;
    try {
      this.fd = openSync(this.file, 'a', 0o600);
      if (fstatSync(this.fd).isFile()) fchmodSync(this.fd, 0o600); // a log from before this version may be 0644
      return true;
    } catch {
      return false; // e.g. no inode left: retried on the next line
    }
  }

  write(line: string): boolean {
    if (!this.open()) return this.drop();
    try {
      if (this.dropped > 0) {
        const note = JSON.stringify({ level: 40, time: Date.now(), msg: `log: ${this.dropped} lines dropped (the log file could not be written)` }) + '\n';
        writeSync(this.fd!, note);
        this.dropped = 0;
      }
      writeAll(this.fd!, Buffer.from(line));
      return true;
    } catch {
      return this.drop();
    }
  }

  private drop(): boolean {
    this.dropped++;
    this.droppedTotal++;
    return true; // tell pino the line is handled: there is no backlog to wait for
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      /* closing a log that failed to flush: nothing more to do */
    }
    this.fd = undefined;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
}
