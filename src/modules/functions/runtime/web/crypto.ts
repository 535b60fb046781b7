// crypto: getRandomValues (QuotaExceededError past 65536 bytes), randomUUID, and crypto.subtle as a
// narrow bridge to the host's WebCrypto. Keys never enter the isolate: a CryptoKey here holds the
// host's handle; arguments and results cross as copies (ArrayBuffers, plain objects).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { DOMException } from './dom-exception.js';
import { isArrayBuffer } from './encoding.js';
import { host } from './host.js';

const integerTypes = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

function getRandomValues<T extends ArrayBufferView>(a: T): T {
  if (!ArrayBuffer.isView(a) || a instanceof DataView || !integerTypes.includes(Object.prototype.toString.call(a).slice(8, -1))) {
    throw new DOMException("Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is not an integer array type", 'TypeMismatchError');
  }
  if (a.byteLength > 65536) throw new DOMException(`Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (${a.byteLength}) exceeds the number of bytes of entropy available via this API (65536).`, 'QuotaExceededError');
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(new Uint8Array(host.random(a.byteLength)));
  return a;
}

const keyHandles = new WeakMap<object, number>();
let constructing = false;

export class CryptoKey {
  readonly type!: string;
  readonly extractable!: boolean;
  readonly algorithm!: any;
  readonly usages!: string[];
  constructor() {
    if (!constructing) throw new TypeError('Illegal constructor');
  }
}
Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: 'CryptoKey' });

type HostKey = [number, string, boolean, any, string[]];
function makeKey([handle, type, extractable, algorithm, usages]: HostKey): CryptoKey {
  constructing = true;
  let k: CryptoKey;
  try {
    k = new CryptoKey();
  } finally {
    constructing = false;
  }
  Object.defineProperties(k, { type: { value: type, enumerable: true }, extractable: { value: extractable, enumerable: true }, algorithm: { value: Object.freeze(algorithm), enumerable: true }, usages: { value: Object.freeze(usages), enumerable: true } });
  keyHandles.set(k, handle);
  return k;
}

const isBuffer = (v: any) => isArrayBuffer(v) || ArrayBuffer.isView(v);
const copyBuffer = (v: any): ArrayBuffer => (isArrayBuffer(v) ? v.slice(0) : (v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer));

/** Algorithm parameters as plain copies: buffers copied, keys replaced by their handles. */
function toHost(v: any, depth = 0): any {
  if (depth > 4) throw new TypeError('algorithm parameters nest too deeply');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return v;
  if (isBuffer(v)) return copyBuffer(v);
  if (v instanceof CryptoKey) return { __key: handleOf(v) };
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toHost(v[k], depth + 1);
    // `name` may be an object with a toString in odd code; the host only needs the string.
    if ('name' in v) out.name = String(v.name);
    return out;
  }
  throw new TypeError('unsupported algorithm parameter');
}
const alg = (a: any) => (typeof a === 'string' ? { name: a } : toHost(a));
function handleOf(k: unknown): number {
  const h = k && typeof k === 'object' ? keyHandles.get(k) : undefined;
  if (h === undefined) throw new TypeError("parameter is not of type 'CryptoKey'");
  return h;
}
const data = (d: any): ArrayBuffer => {
  if (!isBuffer(d)) throw new TypeError("parameter is not of type 'BufferSource'");
  return copyBuffer(d);
};

async function call(op: string, args: unknown[]): Promise<any> {
  const [err, msg, result] = (await host.subtle(op, args)) as [string, string, any];
  if (err === 'TypeError') throw new TypeError(msg);
  if (err) throw new DOMException(msg, err);
  return result;
}

const keyOrPair = (r: any) => (r && r.pair ? { publicKey: makeKey(r.publicKey), privateKey: makeKey(r.privateKey) } : makeKey(r));

/** The interface objects: not constructible, the prototypes of crypto and crypto.subtle. */
export class SubtleCrypto {
  constructor() {
    throw new TypeError('Illegal constructor');
  }
}
export class Crypto {
  constructor() {
    throw new TypeError('Illegal constructor');
  }
}

export const subtle = {
  digest: async (a: any, d: any) => call('digest', [alg(a), data(d)]),
  importKey: async (format: string, keyData: any, a: any, extractable: boolean, usages: string[]) =>
    makeKey(await call('importKey', [String(format), format === 'jwk' ? toHost(keyData) : data(keyData), alg(a), !!extractable, [...usages]])),
  exportKey: async (format: string, key: CryptoKey) => call('exportKey', [String(format), handleOf(key)]),
  sign: async (a: any, key: CryptoKey, d: any) => call('sign', [alg(a), handleOf(key), data(d)]),
  verify: async (a: any, key: CryptoKey, sig: any, d: any) => call('verify', [alg(a), handleOf(key), data(sig), data(d)]),
  encrypt: async (a: any, key: CryptoKey, d: any) => call('encrypt', [alg(a), handleOf(key), data(d)]),
  decrypt: async (a: any, key: CryptoKey, d: any) => call('decrypt', [alg(a), handleOf(key), data(d)]),
  generateKey: async (a: any, extractable: boolean, usages: string[]) => keyOrPair(await call('generateKey', [alg(a), !!extractable, [...usages]])),
  deriveBits: async (a: any, key: CryptoKey, length: number | null) => call('deriveBits', [alg(a), handleOf(key), length ?? null]),
  deriveKey: async (a: any, key: CryptoKey, derived: any, extractable: boolean, usages: string[]) => makeKey(await call('deriveKey', [alg(a), handleOf(key), alg(derived), !!extractable, [...usages]])),
  wrapKey: async (format: string, key: CryptoKey, wrappingKey: CryptoKey, a: any) => call('wrapKey', [String(format), handleOf(key), handleOf(wrappingKey), alg(a)]),
  unwrapKey: async (format: string, wrapped: any, unwrappingKey: CryptoKey, a: any, unwrappedAlg: any, extractable: boolean, usages: string[]) =>
    makeKey(await call('unwrapKey', [String(format), data(wrapped), handleOf(unwrappingKey), alg(a), alg(unwrappedAlg), !!extractable, [...usages]])),
};
Object.setPrototypeOf(subtle, SubtleCrypto.prototype);

export const crypto = {
  getRandomValues,
  randomUUID: (): string => host.uuid(),
  subtle,
};
Object.setPrototypeOf(crypto, Crypto.prototype);
Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto' });
Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: 'SubtleCrypto' });
