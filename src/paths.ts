// Default locations shared by the daemon and the CLI.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/llmos';
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'llmos');
}
