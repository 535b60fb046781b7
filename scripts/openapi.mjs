#!/usr/bin/env node
// Build step: writes the API's OpenAPI document (dist/openapi.json) by registering every route
// group on the API's own Fastify instance in-process (no listening socket, no kernel: routes look
// their modules up per request, so registering them touches nothing), then generates the
// dashboard's API types from it with openapi-typescript (web/src/api-schema.gen.ts).
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import pino from 'pino';

const { createApiServer } = await import(new URL('../dist/src/modules/api/server.js', import.meta.url).href);
const { allRoutes } = await import(new URL('../dist/src/modules/api/routes/index.js', import.meta.url).href);

// A handle that fails loudly if a route group reads the kernel while registering.
const absent = new Proxy({}, { get: (_, p) => { throw new Error(`openapi: a route group read kernel.${String(p)} at registration`); } });
const app = await createApiServer({ token: 'openapi-build', log: pino({ level: 'silent' }) });
for (const register of allRoutes) register(app, absent, absent);
await app.ready();
const doc = app.swagger();
await app.close();
const out = new URL('../dist/openapi.json', import.meta.url);
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
execFileSync(process.execPath, [new URL('../node_modules/openapi-typescript/bin/cli.js', import.meta.url).pathname, out.pathname, '-o', new URL('../web/src/api-schema.gen.ts', import.meta.url).pathname, '--silent'], { stdio: 'inherit' });
