// What both HTTP edges (the API and the function gateway) need to listen: the API token made at
// first boot, and HOST:PORT parsing and printing.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import path from 'node:path';
import { InvalidArgument } from './errors.js';

export const tokenFile = (dataDir: string): string => path.join(dataDir, 'token');

/** Reads the API token, creating a random one (mode 0600) at first boot. */
export async function ensureToken(dataDir: string): Promise<string> {
  const file = tokenFile(dataDir);
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return (await readFile(file, 'utf8')).trim();
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new InvalidArgument(`listen address ${listen} is not HOST:PORT`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** "127.0.0.1:7070" or "[::1]:7070" for a listening server. */
export function boundAddress(server: { address(): ReturnType<Server['address']> }): string {
  const a = server.address();
  return typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
}
