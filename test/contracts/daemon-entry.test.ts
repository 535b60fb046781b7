// `llmos up` loads the bundled daemon through the system contract's DaemonEntry (the CLI imports
// no daemon code, not even its types): this checks, at compile time and on the built bundle, that
// the daemon still offers what the CLI calls.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonEntry } from '../../src/contracts/system.js';
import * as daemon from '../../src/daemon.js';

// Compile-time: a change to runDaemon's signature that the CLI's call would miss fails tsc here.
const entry: DaemonEntry = daemon;

test('the daemon and its bundle export the runDaemon that `llmos up` calls', async () => {
  assert.equal(typeof entry.runDaemon, 'function');
  const bundle = (await import(new URL('../../daemon.mjs', import.meta.url).href)) as Partial<DaemonEntry>;
  assert.equal(typeof bundle.runDaemon, 'function');
});
