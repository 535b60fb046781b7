// The two messages every warm request sends (the daemon's `invoke` and the host's `ok` with its
// response) in a compact form: [tag][u32 n][n bytes of JSON array][body bytes], instead of v8
// serialization, whose per-message serializer objects and JS host-object hooks for the body cost
// about 3x more CPU (bench/functions/README.md). Any other message, or one whose shape is not
// exactly the expected one, goes as v8 (wire.ts), so nothing is lost or coerced by JSON.
// Decoding builds the same object shapes the v8 path gives; the content is as unchecked as there.

const INVOKE = 1;
const OK_RESPONSE = 2;
const OK_CHUNK = 3;
/** The first byte of every v8 serialization (its version tag): never one of the tags above. */
export const V8_TAG = 0xff;

type Body = Uint8Array | null;

const isBody = (b: unknown): b is Body => b === null || b instanceof Uint8Array;
const isStrPairs = (h: unknown): h is [string, string][] => {
  if (!Array.isArray(h)) return false;
  for (const p of h) if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') return false;
  return true;
};
const keysAre = (o: object, n: number, allowed: ReadonlySet<string>): boolean => {
  let k = 0;
  for (const key in o) {
    if (!allowed.has(key)) return false;
    k++;
  }
  return k === n || n < 0;
};
const INVOKE_KEYS = new Set(['t', 'rid', 'id', 'req', 'timeoutMs']);
const REQ_KEYS = new Set(['method', 'url', 'headers', 'body']);
const OK_KEYS = new Set(['t', 'rid', 'value']);
const RES_KEYS = new Set(['status', 'statusText', 'headers', 'body', 'sid', 'ws']);

function frame(tag: number, json: string, body: Body): Buffer {
  const n = Buffer.byteLength(json);
  const b = body ? body.byteLength : 0;
  const out = Buffer.allocUnsafe(9 + n + b);
  out.writeUInt32BE(5 + n + b, 0); // the wire's length prefix
  out[4] = tag;
  out.writeUInt32BE(n, 5);
  out.write(json, 9, 'utf8');
  if (body && b) out.set(body, 9 + n);
  return out;
}

/** The whole frame (length prefix included) for a hot message, or undefined: send it as v8. */
export function encodeFast(m: unknown): Buffer | undefined {
  const o = m as Record<string, unknown>;
  if (o.t === 'invoke') {
    const r = o.req as Record<string, unknown> | undefined;
    if (!keysAre(o, 5, INVOKE_KEYS) || typeof o.rid !== 'number' || typeof o.id !== 'string' || typeof o.timeoutMs !== 'number' || !r || typeof r !== 'object') return undefined;
    if (!keysAre(r, 4, REQ_KEYS) || typeof r.method !== 'string' || typeof r.url !== 'string' || !isBody(r.body)) return undefined;
    return encodeInvoke(o.rid, o.id, o.timeoutMs, r.method, r.url, r.headers as [string, string][], r.body);
  }
  if (o.t === 'ok' && keysAre(o, 3, OK_KEYS) && typeof o.rid === 'number') {
    const v = o.value as Record<string, unknown> | null;
    if (v === null || v instanceof Uint8Array) return frame(OK_CHUNK, JSON.stringify([o.rid, v === null]), v);
    if (!v || typeof v !== 'object' || Array.isArray(v) || !keysAre(v, -1, RES_KEYS)) return undefined;
    const { status, statusText, headers, body, sid, ws } = v;
    if ((sid !== undefined && typeof sid !== 'number') || (ws !== undefined && typeof ws !== 'number')) return undefined;
    return encodeOkResponse(o.rid, status, statusText, headers, body, sid as number | undefined, ws as number | undefined);
  }
  return undefined;
}

/*
 * The hot messages framed from their parts, for the callers that build them (remote-instance.ts,
 * host-main.ts): no message object to make and no check of its keys (both were a visible share of
 * the warm path). Same frames as encodeFast's.
 */

/** An `invoke` frame; undefined when a header is not a pair of strings (the caller sends it as v8). */
export function encodeInvoke(rid: number, id: string, timeoutMs: number, method: string, url: string, headers: [string, string][], body: Body): Buffer | undefined {
  if (!isStrPairs(headers)) return undefined;
  return frame(INVOKE, JSON.stringify([rid, id, timeoutMs, method, url, headers, body === null]), body);
}

/** An `ok` frame with a response, or undefined when it is not of the shape the frame carries (send it as v8). */
export function encodeOkResponse(rid: number, status: unknown, statusText: unknown, headers: unknown, body: unknown, sid: number | undefined, ws: number | undefined): Buffer | undefined {
  if (typeof status !== 'number' || !Number.isFinite(status) || (statusText !== undefined && typeof statusText !== 'string') || !isStrPairs(headers) || !isBody(body ?? null)) return undefined;
  const b = (body as Body | undefined) ?? null;
  return frame(OK_RESPONSE, JSON.stringify([rid, status, statusText ?? null, headers, sid ?? null, ws ?? null, b === null]), b);
}

/**
 * The message in a frame's payload written by encodeFast (its first byte is not V8_TAG). Throws on
 * anything else (the wire then breaks the connection). `body` views the payload: no copy.
 */
export function decodeFast(p: Buffer): unknown {
  const tag = p[0];
  if (p.length < 5) throw new Error('a short frame');
  const n = p.readUInt32BE(1);
  if (5 + n > p.length) throw new Error('a frame shorter than its JSON part');
  const a = JSON.parse(p.toString('utf8', 5, 5 + n)) as unknown[];
  if (!Array.isArray(a)) throw new Error('not a message');
  const rest = p.subarray(5 + n);
  switch (tag) {
    case INVOKE:
      return { t: 'invoke', rid: a[0], id: a[1], timeoutMs: a[2], req: { method: a[3], url: a[4], headers: a[5], body: a[6] ? null : rest } };
    case OK_RESPONSE: {
      const value: Record<string, unknown> = { status: a[1], headers: a[3], body: a[6] ? null : rest };
      if (a[2] !== null) value.statusText = a[2];
      if (a[4] !== null) value.sid = a[4];
      if (a[5] !== null) value.ws = a[5];
      return { t: 'ok', rid: a[0], value };
    }
    case OK_CHUNK:
      return { t: 'ok', rid: a[0], value: a[1] ? null : rest };
  }
  throw new Error(`an unknown frame tag ${tag}`);
}
