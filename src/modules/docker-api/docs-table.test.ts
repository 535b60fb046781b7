// docs/docker-api.md's endpoint table against the router, both ways: every row marked supported
// or partial has a route of its own, every 501 row answers 501, and every served route has a row.
// Without it the table drifts from the code (a route added or removed, the table left as it was).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Call } from './call.js';
import type { DockerDeps } from './deps.js';
import { DockerError } from './errors.js';
import { Router } from './router.js';
import { archiveRoutes } from './routes/archive.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { dockerRouter } from './routes/index.js';
import { networkRoutes } from './routes/networks.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/streams.js';
import { systemRoutes } from './routes/system.js';
import { volumeRoutes } from './routes/volumes.js';

interface Row { method: string; path: string; status: string }

const METHOD = /^(GET|HEAD|POST|PUT|DELETE) (\/\S*)$/;

/** The table's rows, one per endpoint; "`POST /x/{id}/pause`, `unpause`" is two. */
function docRows(md: string): Row[] {
  const rows: Row[] = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((s) => s.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    const status = cells[2]!;
    let prev: Row | undefined;
    for (const [, tok] of cells[1]!.matchAll(/`([^`]+)`/g)) {
      const m = METHOD.exec(tok!);
      if (m) prev = { method: m[1]!, path: m[2]!, status };
      else if (prev && /^[a-z]+$/.test(tok!)) prev = { ...prev, path: prev.path.replace(/[^/]+$/, tok!) };
      else continue; // the swarm row names path families, not endpoints
      rows.push(prev);
    }
  }
  return rows;
}

const sample = (p: string) => p.replace(/\{id\}/g, 'c1').replace(/\{name\}/g, 'img');

// Registration only: no handler runs here but the 501 ones, which read params and (for a
// container endpoint) look the container up first.
const deps = { containers: () => ({ inspect: async () => ({}) }) } as unknown as DockerDeps;
const fakeCall = (params: Record<string, string>) => ({ params, json: () => undefined }) as unknown as Call;

/** The routes that serve something (everything but unsupported.ts). */
function servedRouter(): Router {
  const r = new Router();
  systemRoutes(r, deps);
  imageRoutes(r, deps);
  containerRoutes(r, deps);
  archiveRoutes(r, deps);
  streamRoutes(r, deps);
  execRoutes(r, deps);
  statsRoutes(r, deps);
  networkRoutes(r, deps);
  volumeRoutes(r, () => undefined);
  return r;
}

async function statusOf(r: Router, row: Row): Promise<number | 'served'> {
  const m = r.match(row.method, sample(row.path));
  if (!m || m === 'method') return 501; // the server's answer for an unknown path
  try {
    await m.handler(fakeCall(m.params));
    return 'served';
  } catch (e) {
    return e instanceof DockerError ? e.status : 'served';
  }
}

const rows = docRows(readFileSync(new URL('../../../../docs/docker-api.md', import.meta.url), 'utf8'));

test('docs/docker-api.md: the table has the endpoints of v1.41', () => {
  assert.ok(rows.length >= 70, `only ${rows.length} rows parsed`);
  for (const want of ['GET /containers/json', 'POST /containers/{id}/attach', 'POST /exec/{id}/start', 'GET /volumes', 'POST /build', 'GET /system/df']) {
    assert.ok(rows.some((r) => `${r.method} ${r.path}` === want), want);
  }
});

test('docs/docker-api.md: every supported or partial row is served, every 501 row answers 501', async () => {
  const served = servedRouter();
  const full = dockerRouter(deps);
  for (const row of rows) {
    const name = `${row.method} ${row.path} (${row.status})`;
    if (row.status === 'supported' || row.status === 'partial') {
      const own = served.match(row.method, sample(row.path));
      // GET /plugins and /plugins/{name}/json are answered in unsupported.ts (an empty list, a 404).
      if (own && own !== 'method') continue;
      const got = await statusOf(full, row);
      assert.ok(got !== 501, `${name}: the router answers 501`);
    } else if (row.status === '501') {
      const own = served.match(row.method, sample(row.path));
      assert.ok(!own || own === 'method', `${name}: a route serves it`);
      assert.equal(await statusOf(full, row), 501, name);
    } else {
      assert.fail(`${name}: status must be supported, partial or 501`);
    }
  }
});

test('docs/docker-api.md: every served route has its row', () => {
  const routes = (servedRouter() as unknown as { routes: { method: string; re: RegExp }[] }).routes;
  assert.ok(routes.length > 40);
  for (const r of routes) {
    const row = rows.find((x) => x.method === r.method && r.re.test(sample(x.path)));
    assert.ok(row, `${r.method} ${r.re.source} has no row in docs/docker-api.md`);
    assert.notEqual(row.status, '501', `${r.method} ${r.re.source} is served but its row says 501`);
  }
});
