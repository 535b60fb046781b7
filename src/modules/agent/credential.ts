// The node credential, kept in the agent's module dir (0600) with the server it is for and that
// server's CA, so a restarted agent renews its lease with it instead of needing a join token again
// (tokens expire; k3s agents keep their node password the same way), and boots with it when the
// server is unreachable. A credential the server no longer knows (the node was removed) falls back
// to joining with the token.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { caHash } from '../../kernel/cluster-ca.js';
import { parseJoinToken, type NodeReport } from '../../contracts/cluster.js';
import { callServer } from './http.js';
import type { Joined } from './join.js';

export interface Saved {
  server: string;
  name: string;
  credential: string;
  ca: string;
  /** The server's lease interval at the join, for renewals before the server answers again. */
  leaseIntervalMs?: number;
  /** The pod subnet the server gave at the join: a crash before the bridge moved onto it is made good at the next boot. */
  podSubnet?: string;
}

const file = (dir: string) => path.join(dir, 'credential.json');

export async function saveCredential(dir: string, server: URL, j: Joined): Promise<void> {
  const saved: Saved = { server: server.origin, name: j.name, credential: j.credential, ca: j.ca, leaseIntervalMs: j.leaseIntervalMs, ...(j.podSubnet ? { podSubnet: j.podSubnet } : {}) };
  await writeFile(file(dir), JSON.stringify(saved) + '\n', { mode: 0o600 });
}

/** The saved credential when it is for this server, this node name and the token's CA; undefined when the agent must join with the token. */
export async function loadCredential(dir: string, server: URL, name: string, token: string): Promise<Saved | undefined> {
  let saved: Saved;
  try {
    saved = JSON.parse(await readFile(file(dir), 'utf8')) as Saved;
  } catch {
    return undefined;
  }
  const t = parseJoinToken(token);
  if (saved.server !== server.origin || saved.name !== name || (t && t.caHash !== caHash(saved.ca))) return undefined;
  return saved;
}

/** One lease renewal with a credential (Unauthenticated: the node was removed, join again). */
export function renewLease(server: URL, c: { credential: string; ca: string }, report: NodeReport, timeoutMs?: number): Promise<{ renewTime: string; leaseIntervalMs: number }> {
  return callServer(server, { method: 'PUT', path: '/v1/cluster/agent/lease', body: { report }, credential: c.credential, ca: c.ca, ...(timeoutMs ? { timeoutMs } : {}) });
}
