// Shared by the llmos and docker CLI tty tests: a live terminal resize, and reading `stty size`.
import type { Pty } from '../docker-cli-parity/pty.js';
import { until } from '../support/until.js';

/** Types `stty size` until the terminal shows `rows cols` (the read is retried, the expectation is one). */
export async function sizeBecomes(t: Pty, rows: number, cols: number, timeoutMs = 30_000): Promise<void> {
  await until(`stty size to show ${rows} ${cols}`, async () => {
    const m = t.mark();
    t.type('stty size\r');
    return until('an answer', async () => /\d+ \d+\r*\n/.exec(t.text.slice(m)) ?? undefined, 5_000, 50).then((x) => x[0].startsWith(`${rows} ${cols}`)).catch(() => false);
  }, timeoutMs, 200);
}

/** A shell line that resizes the terminal (the kernel sends SIGWINCH to its foreground) once `flag` exists. */
export const resizeWhen = (flag: string, rows: number, cols: number) => `(while [ ! -e ${flag} ]; do sleep 0.05; done; stty rows ${rows} cols ${cols} </dev/tty) &`;
