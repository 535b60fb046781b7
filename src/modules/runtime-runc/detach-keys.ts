// Detach keys (Docker's --detach-keys): a key sequence on stdin that ends the attachment and
// leaves the process running. Bytes that could start the sequence are held back until it is
// complete (detach) or broken (the held bytes go through), as Docker's escape proxy does.
import { InvalidArgument } from '../../kernel/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** "ctrl-p,ctrl-q" -> [0x10, 0x11]; "" -> none. Keys: one character, or ctrl-(a-z, @, [, \, ], ^, _). */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const k of spec.split(',')) {
    const m = /^ctrl-(.)$/i.exec(k);
    if (m) {
      const c = m[1]!.toLowerCase();
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else throw new InvalidArgument(`invalid detach keys ${JSON.stringify(spec)}: ctrl-${m[1]} is not a control key (a-z, @, [, \\, ], ^, _)`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new InvalidArgument(`invalid detach keys ${JSON.stringify(spec)}: each key is one character or ctrl-X, separated by commas`);
  }
  return Buffer.from(out);
}

export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** The bytes to pass on, and whether the sequence completed (bytes after it are dropped). */
  push(data: Buffer): { pass: Buffer; detached: boolean } {
    if (!this.keys.length) return { pass: data, detached: false };
    const out: number[] = [];
    for (const b of data) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detached: true };
        continue;
      }
      // Broken sequence: what was held goes through, then this byte may start a new one.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { pass: Buffer.from(out), detached: false };
  }
}
