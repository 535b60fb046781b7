// What every command group gets: the API client and the chosen output format.
import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { printJson } from './output.js';

export interface CliContext {
  client(): ApiClient;
  json(): boolean;
  /** Prints data as JSON with --json, else the human rendering. */
  out(data: unknown, human: () => string): void;
}

export type CommandGroup = (program: Command, ctx: CliContext) => void;

export function createContext(program: Command): CliContext {
  let client: ApiClient | undefined;
  const opts = () => program.opts<{ host?: string; dataDir?: string; token?: string; ca?: string; json?: boolean; output?: string }>();
  const json = () => !!opts().json || opts().output === 'json';
  return {
    client: () => (client ??= new ApiClient({ host: opts().host, dataDir: opts().dataDir, token: opts().token, ca: opts().ca })),
    json,
    out(data, human) {
      if (json()) printJson(data);
      else {
        const s = human();
        if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
      }
    },
  };
}
