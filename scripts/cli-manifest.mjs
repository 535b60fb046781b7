#!/usr/bin/env node
// Build step: records which command group owns each top-level command, so the CLI can load just
// that group at start-up (src/cli/main.ts).
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
const { commandGroups } = await import(new URL('../dist/src/cli/commands/index.js', import.meta.url).href);
const owners = {};
for (const g of commandGroups) {
  const program = new Command().enablePositionalOptions(); // as main.ts: run and exec pass options through
  (await g.load())(program, { client: () => { throw new Error('manifest only'); }, json: () => false, out: () => undefined });
  for (const c of program.commands) for (const n of [c.name(), ...c.aliases()]) {
    if (owners[n]) throw new Error(`command ${n} is defined by both ${owners[n]} and ${g.name}`);
    owners[n] = g.name;
  }
}
writeFileSync(new URL('../dist/cli-manifest.json', import.meta.url), JSON.stringify(owners, null, 1) + '\n');
