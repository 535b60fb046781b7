// Any payload on any device channel: handled without throwing; a reported message either changes
// the twin to valid values only, or leaves it exactly as it was (and is counted as rejected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pino from 'pino';
import type { StateStore } from '../../contracts/state-store.js';
import { Ingest } from './ingest.js';
import { Registry } from './registry.js';
import { checkObject } from './values.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES) || 0;
const runs = minutes ? { interruptAfterTimeLimit: minutes * 60_000, numRuns: Number.MAX_SAFE_INTEGER } : { numRuns: 4000 };

test('fuzz: device messages are applied valid or rejected, never throw', () => {
  const reg = new Registry({} as StateStore);
  const props = [
    { name: 'temperature', type: 'number' as const, min: -40, max: 125, access: 'read' as const },
    { name: 'mode', type: 'string' as const, enum: ['off', 'heat'], access: 'readwrite' as const },
    { name: 'n', type: 'integer' as const, access: 'read' as const },
  ];
  reg.models.set('m', { name: 'm', properties: props, labels: {}, createdAt: '' });
  reg.devices.set('d', { name: 'd', model: 'm', node: '', labels: {}, createdAt: '' });
  const ingest = new Ingest(reg, undefined, pino({ level: 'silent' }), () => undefined);
  const field = fc.constantFrom('temperature', 'mode', 'n', 'x', '__proto__', 'constructor');
  const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom('off', 'heat', 'warm', '', null, true), fc.jsonValue());
  const payload = fc.oneof(
    fc.record({ temperature: fc.double({ min: -50, max: 130, noNaN: true }), mode: fc.constantFrom('off', 'heat', 'warm'), n: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.dictionary(field, value).map((o) => JSON.stringify(o)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 50 }),
    fc.uint8Array({ maxLength: 50 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  let applied = 0;
  fc.assert(
    fc.property(fc.constantFrom('reported', 'telemetry', 'status') as fc.Arbitrary<'reported' | 'telemetry' | 'status'>, fc.constantFrom('d', 'nosuch'), payload, (ch, dev, text) => {
      const before = JSON.stringify(reg.twin('d').reported);
      const rejected = ingest.rejected;
      ingest.handle(dev, ch, Buffer.from(text, 'latin1'));
      const after = reg.twin('d').reported;
      assert.ok(checkObject(props, Object.keys(after).length ? after : { n: 0 }).ok, `invalid twin ${JSON.stringify(after)}`);
      if (ch === 'reported' && JSON.stringify(after) === before && dev === 'd') {
        let valid = false;
        try {
          valid = checkObject(props, JSON.parse(text)).ok;
        } catch {
          /* not JSON */
        }
        if (!valid) assert.equal(ingest.rejected, rejected + 1);
      }
      if (JSON.stringify(after) !== before) applied++;
    }),
    runs,
  );
  console.log(`device messages: ${applied} changed the twin, ${ingest.rejected} rejected`);
});
