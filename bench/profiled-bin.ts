// An `llmos` for the benches' --cpu-prof options: `up` runs the daemon as bin/llmos does, plus V8's CPU
// profiler writing into dir (Node refuses --cpu-prof in NODE_OPTIONS); every other command is bin/llmos.
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function profiledLlmosBin(dir: string): Promise<string> {
  const bin = path.join(dir, 'llmos');
  const main = path.join(root, 'dist/src/cli-bundle/main.mjs');
  await writeFile(bin, `#!/bin/sh
if [ "$1" = up ]; then MALLOC_ARENA_MAX=2 exec ${JSON.stringify(process.execPath)} --max-semi-space-size=2 --cpu-prof --cpu-prof-dir=${JSON.stringify(dir)} ${JSON.stringify(main)} "$@"; fi
exec ${JSON.stringify(path.join(root, 'bin/llmos'))} "$@"
`);
  await chmod(bin, 0o755);
  return bin;
}
