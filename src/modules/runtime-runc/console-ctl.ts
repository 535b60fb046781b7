// Terminal resizes through conmon's `ctl` fifo ("1 ROWS COLS\n"). conmon 2.1.6 (Debian 12) applies
// only the first message of each read of the fifo, so two resizes written back to back (a
// terminal's rows then cols, as `stty rows R cols C` sends them) leave the container at the
// first, stale size. Writes to one container are therefore serialized, and the last size of a
// burst is written once more after a pause, alone in the fifo: the repeat is a no-op when the
// size already took (the kernel sends no SIGWINCH for an unchanged size).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { FailedPrecondition } from '../../kernel/errors.js';

const REPEAT_MS = 250;

export class ConsoleResizer {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly repeats = new Map<string, NodeJS.Timeout>();

  /** Writes one resize to the container's ctl fifo at `file`, after the ones before it. */
  resize(id: string, file: string, rows: number, cols: number): Promise<void> {
    clearTimeout(this.repeats.get(id));
    const done = (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined).then(() => writeCtl(id, file, rows, cols));
    this.chains.set(id, done);
    void done.then(
      () => {
        if (this.chains.get(id) !== done) return;
        this.chains.delete(id);
        const t = setTimeout(() => {
          this.repeats.delete(id);
          void writeCtl(id, file, rows, cols).catch(() => undefined); // the container may be gone by now
        }, REPEAT_MS);
        t.unref();
        this.repeats.set(id, t);
      },
      () => {
        if (this.chains.get(id) === done) this.chains.delete(id);
      },
    );
    return done;
  }

  /** Drops a container's pending repeat (it stopped or was removed). */
  forget(id: string): void {
    clearTimeout(this.repeats.get(id));
    this.repeats.delete(id);
  }
}

async function writeCtl(id: string, file: string, rows: number, cols: number): Promise<void> {
  // Non-blocking: with conmon gone there is no reader and open fails (ENXIO) instead of hanging.
  const f = await open(file, constants.O_WRONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new FailedPrecondition(`cannot resize container ${id.slice(0, 12)}: ${err.code === 'ENXIO' || err.code === 'ENOENT' ? 'its supervisor is not running' : err.message}`);
  });
  try {
    await f.write(`1 ${rows} ${cols}\n`);
  } finally {
    await f.close();
  }
}
