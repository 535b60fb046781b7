// The node credential, kept in the agent's module dir (0600) with the server it is for and that
// server's CA, so a restarted agent renews its lease with it instead of needing a join token again
// (tokens expire; k3s agents keep their node password the same way). A credential the server no
// longer knows (the node was removed) falls back to joining with the token.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { caHash } from '../../kernel/cluster-ca.js';
import { Unauthenticated } from '../../kernel/errors.js';
import { parseJoinToken, type NodeReport } from '../../contracts/cluster.js';
import { callServer } from './http.js';
import type { Joined } from './join.js';

interface Saved {
  server: string;
  name: string;
  credential: string;
  ca: string;
}

const file = (dir: string) => path.join(dir, 'credential.json');

export async function saveCredential(dir: string, server: URL, j: Joined): Promise<void> {
  const saved: Saved = { server: server.origin, name: j.name, credential: j.credential, ca: j.ca };
  await writeFile(file(dir), JSON.stringify(saved) + '\n', { mode: 0o600 });
}

/**
 * Renews the lease with the saved credential when it is for this server, this node name and the
 * token's CA; answers the join it stands for, or undefined when the agent must join with the token.
 */
export async function resume(dir: string, server: URL, name: string, token: string, report: NodeReport): Promise<Joined | undefined> {
  let saved: Saved;
  try {
    saved = JSON.parse(await readFile(file(dir), 'utf8')) as Saved;
  } catch {
    return undefined;
  }
  const t = parseJoinToken(token);
  if (saved.server !== server.origin || saved.name !== name || (t && t.caHash !== caHash(saved.ca))) return undefined;
  try {
    const r = await callServer<{ leaseIntervalMs: number }>(server, { method: 'PUT', path: '/v1/cluster/agent/lease', body: { report }, credential: saved.credential, ca: saved.ca });
    return { name, credential: saved.credential, ca: saved.ca, leaseIntervalMs: r.leaseIntervalMs };
  } catch (e) {
    if (e instanceof Unauthenticated) return undefined; // removed from the cluster: join again
    throw e;
  }
}
