// Values an attacker or a broken client puts in a JSON field: wrong types, numbers at the edges of
// IEEE doubles, long and odd strings, deep nesting, and prototype-pollution keys.
import fc from 'fast-check';

export const hugeNumbers = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 2 ** 31, 2 ** 32 + 1, -1, -0, 0, 0.5, 1e-300, 4294967296000, 1e20);

export const oddStrings = fc.oneof(
  fc.constantFrom('', ' ', '\0', '../../etc/passwd', '/', '%2e%2e%2f', '\u202e\u0000\ud800', '__proto__', 'constructor', 'prototype', 'true', 'NaN', 'Infinity', '-1', '1e308', '9'.repeat(400), '${jndi:x}', '<script>', "'; DROP TABLE kv; --", 'a'.repeat(70_000), '\n'.repeat(1000), '\u{1F600}'.repeat(500)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 2000 }),
);

/** {"a":{"a":...}} or [[[...]]] n levels deep (deeper ones go as raw text: see DEEP_TEXT). */
export const deep = fc.tuple(fc.integer({ min: 50, max: 800 }), fc.boolean()).map(([n, arr]) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = arr ? [v] : { a: v };
  return v;
});

const protoKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf');
/** Objects with prototype-pollution keys, built as JSON text so __proto__ is a real own key. */
export const pollution = fc.tuple(protoKeys, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}: ${JSON.stringify({ polluted: v, toString: 1 })}}`) as unknown);

export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  hugeNumbers,
  oddStrings,
  fc.constantFrom(null, true, false, [], {}, [null], [[]], { '': '' }),
  deep,
  pollution,
  fc.array(fc.integer(), { minLength: 1000, maxLength: 3000 }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** JSON text nested deeper than fast-check can build values (JSON.parse takes it; recursive code may not). */
export const DEEP_TEXT = [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`];

/** Billion laughs: 9 levels of 9 aliases, 9^9 strings once expanded (the same as in services/limits.test.ts). */
export const aliasBomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');
