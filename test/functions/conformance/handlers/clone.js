/* global structuredClone -- the web platform of the runtime under test */
// From web-platform-tests html/webappapis/structured-clone/structured-clone-battery-of-tests.
import { harness } from './harness.js';

export default {
  async fetch() {
    const { t, eq, ok, throws, result } = harness();
    const c = (v) => structuredClone(v);
    await t('primitives', () => {
      eq(c(undefined), undefined);
      eq(c(null), null);
      eq(c(-0), -0);
      ok(Number.isNaN(c(NaN)));
      eq(c(Infinity), Infinity);
      eq(c(12n), 12n);
      eq(c('\uD800'), '\uD800');
    });
    await t('Date', () => {
      const d = c(new Date(1234));
      ok(d instanceof Date);
      eq(d.getTime(), 1234);
    });
    await t('RegExp keeps source and flags', () => {
      const r = c(/a+b/gi);
      ok(r instanceof RegExp);
      eq(r.source + r.flags, 'a+bgi');
    });
    await t('Map with object keys', () => {
      const k = { a: 1 };
      const m = c(new Map([[k, 'v'], ['s', new Set([1])]]));
      ok(m instanceof Map);
      eq([...m.keys()][0].a, 1);
      ok(m.get('s') instanceof Set);
    });
    await t('Set', () => {
      const s = c(new Set([1, 'a', 1]));
      eq(s.size, 2);
    });
    await t('ArrayBuffer copies', () => {
      const b = new Uint8Array([1, 2, 3]).buffer;
      const x = c(b);
      ok(x instanceof ArrayBuffer);
      eq(new Uint8Array(x)[2], 3);
      ok(x !== b);
    });
    for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array]) {
      await t(`${T.name} keeps its type`, () => {
        const v = c(new T([1, 2].map((n) => (T === BigInt64Array ? BigInt(n) : n))));
        eq(v.constructor.name, T.name);
        eq(v.length, 2);
      });
    }
    await t('DataView', () => {
      const v = c(new DataView(new Uint8Array([7, 8]).buffer));
      ok(v instanceof DataView);
      eq(v.getUint8(1), 8);
    });
    await t('cycles are kept', () => {
      const o = { n: 1 };
      o.self = o;
      const x = c(o);
      ok(x.self === x);
    });
    await t('shared references stay shared', () => {
      const s = { v: 1 };
      const x = c([s, s]);
      ok(x[0] === x[1]);
    });
    await t('Error keeps name and message', () => {
      const e = c(new RangeError('r'));
      eq(e.name, 'RangeError');
      eq(e.message, 'r');
    });
    await t('wrapper objects', () => {
      eq(typeof c(new Number(3)), 'object');
      eq(c(new String('s')).valueOf(), 's');
      eq(c(new Boolean(false)).valueOf(), false);
    });
    await t('functions throw DataCloneError', () => throws(() => c(() => 1), 'DataCloneError'));
    await t('symbols throw DataCloneError', () => throws(() => c(Symbol('x')), 'DataCloneError'));
    await t('prototype is not kept, own enumerable data is', () => {
      class K { constructor() { this.a = 1; } }
      const x = c(new K());
      eq(Object.getPrototypeOf(x), Object.prototype);
      eq(x.a, 1);
    });
    return result();
  },
};
