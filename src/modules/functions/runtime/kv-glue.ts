// The isolate side of KV bindings: env[NAME] objects with the Workers KV methods, calling one host
// Reference (`__h_kv`) with plain values. Host failures come back as values and are thrown here,
// inside the isolate (a rejected host promise would reach the daemon's process instead).
import ivm from 'isolated-vm';

export type KvCall = (binding: string, op: string, args: Record<string, unknown>) => Promise<unknown>;

const GLUE = `(names) => {
  const ref = globalThis.__h_kv; delete globalThis.__h_kv;
  const call = async (b, op, a) => {
    const [err, res] = await ref.apply(undefined, [b, op, a], { arguments: { copy: true }, result: { promise: true, copy: true } });
    if (err) throw new TypeError(err);
    return res;
  };
  const decode = (v, type) => {
    const bytes = () => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
    const text = () => (typeof v === 'string' ? v : new TextDecoder().decode(v));
    if (type === 'json') return JSON.parse(text());
    if (type === 'arrayBuffer') { const b = bytes(); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }
    if (type === 'text' || type === undefined) return text();
    throw new TypeError('KV get: unknown type ' + type);
  };
  const typeOf = (o) => (typeof o === 'string' ? o : o && o.type);
  const make = (b) => Object.freeze({
    async get(key, o) { const r = await call(b, 'get', { key: String(key) }); return r === null ? null : decode(r.value, typeOf(o)); },
    async getWithMetadata(key, o) { const r = await call(b, 'get', { key: String(key) }); return r === null ? { value: null, metadata: null } : { value: decode(r.value, typeOf(o)), metadata: r.metadata }; },
    async put(key, value, o = {}) {
      let v = value;
      if (v instanceof ArrayBuffer) v = new Uint8Array(v.slice(0));
      else if (ArrayBuffer.isView(v)) v = new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      else if (typeof v !== 'string') throw new TypeError('KV put: the value must be a string, ArrayBuffer or ArrayBufferView');
      await call(b, 'put', { key: String(key), value: v, metadata: o.metadata, expirationTtl: o.expirationTtl, expiration: o.expiration });
    },
    async delete(key) { await call(b, 'delete', { key: String(key) }); },
    async list(o = {}) { return call(b, 'list', { prefix: o.prefix, limit: o.limit, cursor: o.cursor }); },
  });
  const out = {};
  // '@devices' (a function with a device rule) is env.devices: set(name, {property: value}) sets desired state.
  // '@queue:Q' (a producer binding) is env.Q: send(body, o) and sendBatch(messages, o) (web/queue.ts).
  const queueProducer = globalThis.__llmos_queue_producer; delete globalThis.__llmos_queue_producer;
  for (const n of names) if (n.startsWith('@queue:')) out[n.slice(7)] = queueProducer((op, a) => call(n, op, a)); else if (n === '@devices') out.devices = Object.freeze({ async set(d, p) { return call(n, 'set', { device: String(d), props: JSON.parse(JSON.stringify(p ?? {})) }); } }); else out[n] = make(n);
  return out;
}`;

/** Puts the KV objects for `names` into the context as `globalThis.__llmos_kv`. */
export function installKv(context: ivm.Context, names: string[], kv: KvCall): void {
  context.global.setSync('__h_kv', new ivm.Reference((b: string, op: string, a: Record<string, unknown>) => kv(b, op, a).then((r) => ['', r] as const, (e: Error) => [e?.message || String(e), null] as const)));
  context.global.setSync('__llmos_kv_names', new ivm.ExternalCopy(names).copyInto());
  context.evalSync(`globalThis.__llmos_kv = (${GLUE})(__llmos_kv_names); delete globalThis.__llmos_kv_names;`);
}
