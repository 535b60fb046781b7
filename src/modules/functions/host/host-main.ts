// A function-host process: isolates of one namespace (or one function) run here, away from the
// daemon's memory (API token, other tenants' secrets) and event loop. The daemon (host-client.ts)
// sends start/invoke/dispose over a socketpair (wire.ts); this process holds no state worth keeping, so
// when it dies the daemon fails its in-flight requests and starts a new one.
import type ivm from 'isolated-vm';
import { InvocationFailed } from '../failures.js';
import { IsolateInstance, setSpareShells } from '../runtime/isolate.js';
import type { BodyStream, FunctionSocket } from '../runtime/instance.js';
import type { FromHost, ToHost, WireResponse } from './protocol.js';
import { encodeOkResponse } from './fast-frames.js';
import { Wire } from './wire.js';
import { Socket } from 'node:net';

// fd 3 is the daemon's end of a socketpair (host-client.ts); frames as in wire.ts.
const sock = new Socket({ fd: 3, readable: true, writable: true });
const wire = new Wire<ToHost, FromHost>(sock, (m) => void handle(m), () => process.exit(1));
const send = (m: FromHost): void => wire.send(m);
const instances = new Map<string, IsolateInstance>();
const names = new Map<string, string>(); // instance id -> function name
const starting = new Map<string, Promise<IsolateInstance>>();
// Code caches by function version: a new instance of a known function skips most of the compile.
const caches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
// Open streamed bodies and WebSockets of answers, by "instance/id".
const streams = new Map<string, BodyStream>();
const sockets = new Map<string, FunctionSocket>();
let channelId = 0;

// KV operations go to the daemon, which holds the state store.
let kid = 0;
const kvPending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
const kvCall = (fn: string) => (binding: string, op: string, args: Record<string, unknown>) =>
  new Promise<unknown>((resolve, reject) => {
    const k = ++kid;
    kvPending.set(k, { resolve, reject });
    send({ t: 'kv', kid: k, fn, binding, op, args });
  });

function fail(rid: number, e: unknown): void {
  const reason = e instanceof InvocationFailed ? e.reason : 'handler-error';
  send({ t: 'err', rid, reason, message: (e as Error)?.message ?? String(e) });
}

async function handle(m: ToHost): Promise<void> {
  // The daemon sends an instance's first invoke (or its dispose) right behind its start, without
  // waiting for the answer: those wait here for the start, and fail with its error.
  const pending = 'id' in m ? starting.get(m.id) : undefined;
  if (pending) {
    const failed = await pending.then(() => undefined, (e: unknown) => e);
    if (failed !== undefined && 'rid' in m) return fail(m.rid, failed);
  }
  switch (m.t) {
    case 'start': {
      const { spec } = m;
      const started = IsolateInstance.start({
        ...spec,
        codeCache: caches.get(spec.cacheKey),
        onLog: (level, text) => send({ t: 'log', fn: spec.functionName, id: spec.id, level, text }),
        onDead: (reason) => send({ t: 'dead', id: spec.id, reason }),
        kv: { names: spec.kv, call: kvCall(spec.functionName) },
      });
      starting.set(spec.id, started);
      try {
        const inst = await started;
        if (inst.producedCache && !caches.has(spec.cacheKey)) {
          if (caches.size >= 256) caches.delete(caches.keys().next().value!);
          caches.set(spec.cacheKey, inst.producedCache);
        }
        instances.set(spec.id, inst);
        names.set(spec.id, spec.functionName);
        send({ t: 'ok', rid: m.rid });
      } catch (e) {
        fail(m.rid, e);
      } finally {
        starting.delete(spec.id);
      }
      return;
    }
    case 'invoke': {
      const inst = instances.get(m.id);
      if (!inst) return fail(m.rid, new InvocationFailed('start-failed', `instance ${m.id} is not in this host`));
      try {
        const out = await inst.invoke(m.req, { timeoutMs: m.timeoutMs });
        const { stream, webSocket } = out;
        const streamId = stream ? ++channelId : undefined;
        if (stream) streams.set(`${m.id}/${streamId}`, stream);
        const sid = webSocket ? ++channelId : 0;
        // Framed from its parts (fast-frames.ts); a shape the frame cannot carry goes as v8.
        const frame = encodeOkResponse(m.rid, out.status, out.statusText, out.headers, out.body, streamId, sid || undefined);
        if (frame) wire.sendFrame(frame);
        else {
          const value: WireResponse = { status: out.status, statusText: out.statusText, headers: out.headers, body: out.body };
          if (streamId) value.sid = streamId;
          if (sid) value.ws = sid;
          send({ t: 'ok', rid: m.rid, value });
        }
        // After the answer, so the daemon knows the socket before its first frame arrives.
        if (webSocket) {
          sockets.set(`${m.id}/${sid}`, webSocket);
          webSocket.attach({
            send: (data) => send({ t: 'wsout', id: m.id, sid, op: 'send', data, code: 0, reason: '' }),
            close: (code, reason) => send({ t: 'wsout', id: m.id, sid, op: 'close', data: null, code, reason }),
          });
        }
      } catch (e) {
        fail(m.rid, e);
      }
      return;
    }
    case 'cancel': {
      // The daemon already failed the request; stopping its work means ending the isolate.
      const inst = instances.get(m.id);
      if (!m.kill || !inst) return;
      instances.delete(m.id);
      names.delete(m.id);
      send({ t: 'log', fn: names.get(m.id) ?? '', id: m.id, level: 'warn', text: 'the client closed the connection: its request was cancelled and the instance stopped' });
      await inst.dispose('cancelled: the client closed the connection');
      return;
    }
    case 'dispose': {
      const inst = instances.get(m.id);
      instances.delete(m.id);
      names.delete(m.id);
      await inst?.dispose(m.reason);
      send({ t: 'ok', rid: m.rid });
      return;
    }
    case 'mem': {
      const inst = instances.get(m.id);
      send({ t: 'ok', rid: m.rid, value: inst ? await inst.memoryBytes().catch(() => 0) : 0 });
      return;
    }
    case 'sread': {
      const key = `${m.id}/${m.sid}`;
      const s = streams.get(key);
      try {
        const chunk = s ? await s.read() : null;
        if (!chunk) streams.delete(key);
        send({ t: 'ok', rid: m.rid, value: chunk });
      } catch (e) {
        streams.delete(key);
        fail(m.rid, e);
      }
      return;
    }
    case 'scancel':
      streams.get(`${m.id}/${m.sid}`)?.cancel(m.reason);
      streams.delete(`${m.id}/${m.sid}`);
      return;
    case 'wsin': {
      try {
        await sockets.get(`${m.id}/${m.sid}`)?.message(m.data);
        send({ t: 'ok', rid: m.rid });
      } catch (e) {
        fail(m.rid, e);
      }
      return;
    }
    case 'wsclose':
      sockets.get(`${m.id}/${m.sid}`)?.close(m.code, m.reason);
      sockets.delete(`${m.id}/${m.sid}`);
      return;
    case 'spares':
      setSpareShells(m.n, m.sizesMb);
      return;
    case 'kvres': {
      const p = kvPending.get(m.kid);
      kvPending.delete(m.kid);
      if (m.err) p?.reject(new Error(m.err));
      else p?.resolve(m.res);
      return;
    }
  }
}

// The daemon going away (its end of the socket closes) ends this host too.
sock.on('end', () => process.exit(0));
sock.on('error', () => process.exit(0));
// A normal exit on SIGTERM (the daemon's close(); SIGKILL follows if it hangs) also writes --cpu-prof profiles.
process.on('SIGTERM', () => process.exit(0));
send({ t: 'ready' });
