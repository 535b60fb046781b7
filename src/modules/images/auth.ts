// Registry credentials and WWW-Authenticate challenges. Credentials given to `llmos login` are
// kept in <data-dir>/registry-auth.json (mode 0600) in the docker config format; the daemon
// user's ~/.docker/config.json is read too (its plain "auth" entries; credential helpers are not run).
import { readFile, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="reg",scope="repository:x:pull"` (and Basic). */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export interface Credential {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

/** Registry keys as docker writes them: "https://index.docker.io/v1/" for the Hub, else host[:port]. */
function keysFor(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

function decode(entry: NonNullable<DockerConfig['auths']>[string] | undefined): Credential | undefined {
  if (!entry) return undefined;
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const s = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i > 0 ? { username: s.slice(0, i), password: s.slice(i + 1) } : undefined;
}

async function readConfig(file: string): Promise<DockerConfig> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DockerConfig;
  } catch {
    return {};
  }
}

export class CredentialStore {
  constructor(
    readonly file: string,
    private readonly dockerConfig = path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json'),
  ) {}

  /** Our own file first, then ~/.docker/config.json. */
  async get(registry: string): Promise<Credential | undefined> {
    for (const f of [this.file, this.dockerConfig]) {
      const cfg = await readConfig(f);
      for (const k of keysFor(registry)) {
        const c = decode(cfg.auths?.[k]);
        if (c) return c;
      }
    }
    return undefined;
  }

  async set(registry: string, cred: Credential | undefined): Promise<void> {
    const cfg = await readConfig(this.file);
    cfg.auths ??= {};
    const key = keysFor(registry)[0]!;
    if (cred) cfg.auths[key] = { auth: Buffer.from(`${cred.username}:${cred.password}`).toString('base64') };
    else delete cfg.auths[key];
    const tmp = `${this.file}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
