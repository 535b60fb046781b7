// Fuzz: the one quantity parser (CPU, memory, durations) as flags, manifests and API bodies reach
// it. Property: every input either parses to a finite, non-negative number within the bound, or
// throws InvalidArgument with a message naming the field; never another error, never NaN/Infinity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgument } from '../../src/kernel/errors.js';
import { MAX_CPU_MILLI, MAX_DURATION_MS, MAX_MEMORY_BYTES, parseCpu, parseDuration, parseMemory } from '../../src/kernel/quantity.js';
import { runProperty } from './budget.js';

const parsers = [
  { name: 'cpu', parse: parseCpu, max: MAX_CPU_MILLI },
  { name: 'memory', parse: parseMemory, max: MAX_MEMORY_BYTES },
  { name: 'duration', parse: parseDuration, max: MAX_DURATION_MS },
] as const;

/** Strings near the grammar: digits, dots, exponents, signs, every unit, spaces, and junk. */
const nearMiss = fc
  .array(fc.oneof(fc.constantFrom('0', '1', '9', '.', 'e', 'E', '+', '-', ' ', '\t', 'm', 'ms', 's', 'h', 'd', 'Mi', 'Gi', 'Pi', 'Ki', 'K', 'G', 'b', 'gb', 'x', 'Infinity', 'NaN', '0x', '1e308', '99999999999999999999', '\u0661', '\u00a0'), fc.string({ maxLength: 3 })), { maxLength: 12 })
  .map((xs) => xs.join(''));
const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 2 ** 53 + 1));
/** What a YAML or JSON body can put in the field. */
const anyValue = fc.oneof(nearMiss, fc.string({ maxLength: 200 }), anyNumber, fc.constantFrom(null, undefined, true, [], {}, ['1'], { toString: '1' }) as fc.Arbitrary<unknown>);

const show = (v: unknown): string => fc.stringify(v);

for (const p of parsers) {
  test(`fuzz: parse${p.name[0]!.toUpperCase()}${p.name.slice(1)} gives a bounded number or InvalidArgument`, async (t) => {
    const runs = await runProperty(
      fc.property(anyValue, (v) => {
        let n: number;
        try {
          n = p.parse(v as string);
        } catch (e) {
          assert.ok(e instanceof InvalidArgument, `${p.name}(${show(v)}) threw ${String(e)}`);
          assert.ok((e as Error).message.length < 300, 'the message stays one short line');
          return;
        }
        assert.ok(Number.isFinite(n) && n >= 0 && n <= p.max && !Object.is(n, -0), `${p.name}(${show(v)}) = ${n}`);
      }),
      3000,
      1 / parsers.length,
    );
    t.diagnostic(`${runs} cases`);
  });
}

test('fuzz: valid quantities round-trip through their units', async (t) => {
  const runs = await runProperty(
    fc.property(fc.integer({ min: 0, max: 1024 }), fc.constantFrom('Ki', 'Mi', 'Gi'), fc.integer({ min: 0, max: 1_024_000 }), fc.integer({ min: 0, max: 3_600_000 }), (n, unit, milli, ms) => {
      assert.equal(parseMemory(`${n}${unit}`), n * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[unit]);
      assert.equal(parseCpu(`${milli}m`), milli);
      assert.equal(parseDuration(`${ms}ms`), ms);
      assert.equal(parseDuration(`${ms}`), ms);
    }),
    1000,
  );
  t.diagnostic(`${runs} cases`);
});
