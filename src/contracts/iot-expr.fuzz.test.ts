// Any text as a --when expression: parsed (and then evaluates to a boolean without throwing) or
// refused with ExprError; never another exception, never a hang (bounded length and depth).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExprError, evalExpr, parseExpr, parseSelector } from './iot-expr.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES) || 0;
const runs = minutes ? { interruptAfterTimeLimit: minutes * 60_000, numRuns: Number.MAX_SAFE_INTEGER } : { numRuns: 5000 };
const tokens = fc.constantFrom('temperature', 'mode', 'x', '30', '-1.5', '1e3', '"heat"', "'a'", 'true', 'false', '>', '>=', '<', '<=', '==', '!=', '&&', '||', '!', 'and', 'or', 'not', '(', ')', ' ', '-', '"', '.', '__proto__', 'constructor');
const exprText = fc.oneof(fc.array(tokens, { maxLength: 30 }).map((t) => t.join(' ')), fc.string({ maxLength: 200 }), fc.array(tokens, { maxLength: 60 }).map((t) => t.join('')));
const values = fc.dictionary(fc.constantFrom('temperature', 'mode', 'x', '__proto__', 'constructor'), fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.boolean()));

test('fuzz: --when is a boolean expression or an ExprError', () => {
  let parsed = 0;
  let refused = 0;
  fc.assert(
    fc.property(exprText, values, (src, vals) => {
      try {
        const e = parseExpr(src);
        assert.equal(typeof evalExpr(e, vals), 'boolean');
        parsed++;
      } catch (err) {
        if (!(err instanceof ExprError)) throw err;
        refused++;
      }
    }),
    runs,
  );
  console.log(`when expressions: ${parsed} parsed, ${refused} refused`);
  assert.ok(parsed > 0 && refused > 0);
});

test('fuzz: --on-device is a selector or an ExprError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), (src) => {
      try {
        assert.ok(Array.isArray(parseSelector(src)));
      } catch (err) {
        if (!(err instanceof ExprError)) throw err;
      }
    }),
    runs,
  );
});
