// Fuzz of the function spec: any JSON body either fails the deploy schema, or normalizeSpec refuses
// it with InvalidArgument, or gives a spec whose every number is finite and within LIMITS. Never
// another error (a 500 at the API), never a spec the pool or the isolate cannot take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgument } from '../../kernel/errors.js';
import { fuzzParams, fuzzTimeoutMs } from '../../../test/functions/fuzz-budget.js';
import { LIMITS, normalizeSpec } from './spec.js';
import { deployInputSchema } from '../../contracts/functions.js';

const num = fc.oneof(
  fc.double(),
  fc.integer({ min: -10, max: 10 }),
  fc.constantFrom(0, -0, 1, -1, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 0.5, 1e-300, Infinity, -Infinity, Number.NaN),
);
const quantity = fc.oneof(
  num,
  fc.string({ maxLength: 12 }),
  fc.tuple(fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e30, noNaN: true })), fc.constantFrom('', 'ms', 's', 'm', 'h', 'd', 'k', 'Mi', 'Gi', 'Ti', 'T', 'b', 'kb', 'x')).map(([n, u]) => `${n}${u}`),
);
const anyJson = fc.oneof(num, fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
// Mostly absent, often sensible, sometimes absurd: so that valid specs are reached as well as refusals.
const field = <T>(sensible: fc.Arbitrary<T>, absurd: fc.Arbitrary<unknown> = fc.oneof(quantity, anyJson)) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: sensible }, { weight: 1, arbitrary: absurd });
const ms = (lo: number, hi: number) => fc.oneof(fc.integer({ min: lo, max: hi }), fc.integer({ min: Math.ceil(lo / 1000), max: Math.floor(hi / 1000) }).map((n) => `${n}s`));
const mem = (loMi: number, hiMi: number) => fc.integer({ min: loMi, max: hiMi }).map((n) => `${n}Mi`);

const body = fc
  .record({
    name: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a', 'fn-1', 'x'.repeat(63)) }, { weight: 1, arbitrary: fc.string({ maxLength: 70 }) }, { weight: 1, arbitrary: anyJson }),
    image: field(fc.constantFrom('busybox', 'nginx:1'), fc.oneof(fc.string({ maxLength: 20 }), anyJson)),
    port: field(fc.integer({ min: 1, max: 65535 })),
    memory: field(mem(8, 4096)),
    timeout: field(ms(1, 900_000)),
    cpu: field(ms(1, 900_000)),
    concurrency: field(fc.integer({ min: 1, max: 10_000 })),
    min: field(fc.integer({ min: 0, max: 10 })),
    max: field(fc.integer({ min: 1, max: 1000 })),
    queue: field(fc.integer({ min: 0, max: 1_000_000 })),
    queueWait: field(ms(0, 900_000)),
    bodyLimit: field(mem(0, 100)),
    env: field(fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,5}$/), fc.string({ maxLength: 6 }), { maxKeys: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 4 })),
    secrets: field(fc.array(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,7}$/), { maxLength: 4 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 })),
    keepAlive: field(fc.constantFrom('fixed:10m', 'hybrid', 'adaptive', 'fixed:0s'), fc.oneof(fc.constantFrom('fixed:', 'fixed:-1s', 'forever'), quantity.map((q) => `fixed:${q}`))),
    schedule: field(fc.constantFrom('* * * * *', '*/5 * * * * *'), fc.constantFrom('not cron', '', '99 * * * *')),
    asyncPublic: field(fc.boolean()),
    asyncTtl: field(ms(1000, 7 * 86_400_000)),
    asyncMaxRecords: field(fc.integer({ min: 1, max: 1_000_000 })),
    asyncMaxBytes: field(mem(1, 16 * 1024)),
  })
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));

const inRange = (v: number, [lo, hi]: readonly [number, number]) => Number.isFinite(v) && v >= lo && v <= hi;

test('fuzz: deploy bodies are refused with InvalidArgument or normalized within limits', { timeout: fuzzTimeoutMs(120_000) }, () => {
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(body, fc.boolean(), (b, hasCode) => {
      const parsed = deployInputSchema.safeParse(b);
      if (!parsed.success) return void refused++;
      let spec;
      try {
        spec = normalizeSpec(parsed.data, undefined, hasCode, '2026-01-01T00:00:00.000Z');
      } catch (e) {
        assert.ok(e instanceof InvalidArgument, `not an InvalidArgument: ${(e as Error).stack}`);
        assert.ok((e as Error).message.length > 0);
        return void refused++;
      }
      accepted++;
      for (const k of ['memory', 'timeoutMs', 'cpuMs', 'concurrency', 'min', 'max', 'queue', 'queueWaitMs', 'bodyLimit', 'asyncTtlMs', 'asyncMaxRecords', 'asyncMaxBytes'] as const) {
        assert.ok(inRange(spec[k], LIMITS[k]), `${k} = ${spec[k]} outside ${LIMITS[k]} from ${JSON.stringify(b)}`);
      }
      assert.ok(Number.isInteger(spec.timeoutMs) && Number.isInteger(spec.queueWaitMs));
      assert.ok(spec.min <= spec.max);
      assert.equal(typeof spec.asyncPublic, 'boolean');
    }),
    fuzzParams(20_000),
  );
  console.log(`spec fuzz: ${accepted} accepted, ${refused} refused`);
  assert.ok(accepted > 0, 'the generator reaches valid specs too');
});
