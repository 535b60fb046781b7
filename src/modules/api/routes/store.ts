// State store maintenance while the daemon runs: an integrity check and a consistent backup
// (streamed to the client). Offline, `llmos store` opens the data dir itself.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import type { StateStore } from '../../../contracts/state-store.js';
import { Unavailable } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { Api } from '../server.js';

/** What the maintenance routes need beyond the contract (the SQLite store has it; others may not). */
interface Maintainable {
  readonly file?: string;
  check?(full: boolean): Promise<string[]>;
  backup?(dest: string): Promise<{ totalPages: number }>;
}

export function storeRoutes(app: Api, k: RouteKernel): void {
  const store = (need: 'check' | 'backup') => {
    const s = k.getSingle<StateStore & Maintainable>(Kinds.stateStore);
    if (typeof s[need] !== 'function') throw new Unavailable(`the ${s.backend} state store has no ${need}`);
    return s as StateStore & Required<Maintainable>;
  };
  app.get(
    '/v1/store/check',
    { schema: { summary: 'Integrity check of the state store (quick by default; full=true for integrity_check)', querystring: z.object({ full: z.enum(['true', 'false']).optional() }), response: { 200: z.object({ ok: z.boolean(), backend: z.string(), file: z.string().optional(), full: z.boolean(), problems: z.array(z.string()) }) } } },
    async (req) => {
      const s = store('check');
      const problems = await s.check(req.query.full === 'true');
      return { ok: problems.length === 0, backend: s.backend, file: s.file, full: req.query.full === 'true', problems };
    },
  );
  app.get('/v1/store/backup', { schema: { summary: 'A consistent backup of the state store (SQLite file)', produces: ['application/vnd.sqlite3'], response: { 200: z.string().describe('the SQLite database file') } } }, async (_req, reply) => {
    const s = store('backup');
    // Outside the data dir: a backup must not fill the disk the store lives on.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-backup-'));
    const file = path.join(dir, 'state.db');
    try {
      await s.backup(file);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const stream = createReadStream(file);
    stream.once('close', () => void rm(dir, { recursive: true, force: true }));
    // A stream is sent as it is (the typed reply only knows the schema's string).
    const untyped: FastifyReply = reply;
    return untyped.type('application/vnd.sqlite3').header('content-disposition', 'attachment; filename="state.db"').send(stream);
  });
}
