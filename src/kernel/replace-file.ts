// A file replaced whole or not at all: written beside itself, then renamed over the old one (a
// rename within one directory is atomic), so a crash or a full disk never leaves it half written.
// Hand-written because it is four lines; write-file-atomic would add a dependency for them.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes `text` to `file` atomically (mode 0600 unless given); the temp file goes on failure. */
export async function replaceFile(file: string, text: string, mode = 0o600): Promise<void> {
  // A unique temp name: two writers of the same file never share one.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
