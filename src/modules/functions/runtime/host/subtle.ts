// The host half of crypto.subtle: Node's WebCrypto, with the keys kept here and named by handle
// in the isolate (one table per isolate context). Only copies cross: buffers, plain objects.
// Failures travel as [errorName, message] values, so the isolate throws them as DOMExceptions and
// no rejected promise reaches the daemon.
import { webcrypto } from 'node:crypto';

type Key = webcrypto.CryptoKey;
/** A CryptoKey as the isolate sees it: [handle, type, extractable, algorithm, usages]. */
type KeyOut = [number, string, boolean, unknown, string[]];
type Outcome = [string, string, unknown];

/** Keys one isolate may hold at a time: past it importKey fails (a bounded table per tenant). */
const MAX_KEYS = 10_000;

function plainAlgorithm(a: unknown): unknown {
  if (a instanceof Uint8Array) return a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength);
  if (a && typeof a === 'object') return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, plainAlgorithm(v)]));
  return a;
}

export function subtleHost(): (op: string, args: unknown[]) => Promise<Outcome> {
  const keys = new Map<number, Key>();
  let seq = 0;
  const out = (k: Key): KeyOut => {
    if (keys.size >= MAX_KEYS) throw new DOMException(`this isolate holds ${MAX_KEYS} keys already`, 'QuotaExceededError');
    keys.set(++seq, k);
    return [seq, k.type, k.extractable, plainAlgorithm(k.algorithm), [...k.usages]];
  };
  const key = (h: unknown): Key => {
    const k = keys.get(Number(h));
    if (!k) throw new TypeError('unknown CryptoKey');
    return k;
  };
  // Parameters may hold keys (ECDH's `public`) as { __key: handle }.
  const alg = (a: unknown): webcrypto.AlgorithmIdentifier & Record<string, unknown> => {
    const o = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object' && '__key' in v) o[k] = key((v as { __key: number }).__key);
    // Node wants exactly a Uint8Array here; buffers arrive as ArrayBuffers.
    if (o.publicExponent instanceof ArrayBuffer) o.publicExponent = new Uint8Array(o.publicExponent);
    return o as webcrypto.AlgorithmIdentifier & Record<string, unknown>;
  };
  const s = webcrypto.subtle;
  /* eslint-disable @typescript-eslint/no-explicit-any -- WebCrypto's overloads take the isolate's parameters as they come */
  const ops: Record<string, (...a: any[]) => Promise<unknown>> = {
    digest: (a, d) => s.digest(alg(a), d),
    importKey: async (f, d, a, e, u) => out(await s.importKey(f, d, alg(a), e, u)),
    exportKey: (f, h) => s.exportKey(f, key(h)),
    sign: (a, h, d) => s.sign(alg(a), key(h), d),
    verify: (a, h, sig, d) => s.verify(alg(a), key(h), sig, d),
    encrypt: (a, h, d) => s.encrypt(alg(a), key(h), d),
    decrypt: (a, h, d) => s.decrypt(alg(a), key(h), d),
    generateKey: async (a, e, u) => {
      const k = (await s.generateKey(alg(a), e, u)) as Key | webcrypto.CryptoKeyPair;
      return 'privateKey' in k ? { pair: true, publicKey: out(k.publicKey), privateKey: out(k.privateKey) } : out(k);
    },
    deriveBits: (a, h, len) => s.deriveBits(alg(a), key(h), len),
    deriveKey: async (a, h, d, e, u) => out(await s.deriveKey(alg(a), key(h), alg(d), e, u)),
    wrapKey: (f, h, w, a) => s.wrapKey(f, key(h), key(w), alg(a)),
    unwrapKey: async (f, d, h, a, ua, e, u) => out(await s.unwrapKey(f, d, key(h), alg(a), alg(ua), e, u)),
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
  return async (op, args) => {
    const fn = Object.hasOwn(ops, op) ? ops[op] : undefined;
    if (!fn || !Array.isArray(args)) return ['NotSupportedError', `crypto.subtle.${String(op)} is not supported`, null];
    try {
      return ['', '', await fn(...args)];
    } catch (e) {
      const err = e as Error;
      // Node reports bad argument shapes with TypeError subclasses (ERR_INVALID_ARG_TYPE ...).
      // Node 20 names some of its DOMExceptions "...Exception" (InvalidAccessException): the standard says Error.
      const name = err instanceof TypeError ? 'TypeError' : err?.name && err.name !== 'Error' ? err.name.replace(/Exception$/, 'Error') : 'OperationError';
      return [name, err?.message ?? String(e), null];
    }
  };
}
