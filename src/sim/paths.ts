// Where things are for the simulator: the project root (the folder with package.json), wherever
// the code runs from (src/ under tsx, dist/ when compiled); and the real traces, which are not part
// of the repository: the user names their folder with --trace DIR or LLMOS_TRACES.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgument } from '../kernel/errors.js';

export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** The folder of trace folders: `flagValue` if given, else $LLMOS_TRACES; a one-line error when neither is set. */
export function tracesDir(flagValue?: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flagValue ?? env['LLMOS_TRACES'];
  if (!dir) throw new InvalidArgument('no traces given: pass --trace DIR or set LLMOS_TRACES to the folder holding the trace folders (docs/simulator.md lists them)');
  return dir;
}
