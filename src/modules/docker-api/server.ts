// The Docker Engine API's HTTP server (node:http, so the attach/exec upgrade and raw streams are
// plain sockets). Every answer carries Docker's headers; errors are {"message"} with Docker's
// statuses; unknown paths are 501 naming them, never a silent success.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { PassThrough, type Readable } from 'node:stream';
import type { Call, RawStream } from './call.js';
import { DockerError, badParameter, notImplemented, toDocker } from './errors.js';
import { API_VERSION, splitVersion, versionProblem, type Router } from './router.js';

export interface ServerDeps {
  router: Router;
  serverName: string;
  warn(o: object, msg: string): void;
}

const statusText = (s: number) => http.STATUS_CODES[s] ?? 'Unknown';

export function createDockerServer(d: ServerDeps): http.Server {
  const headers = { 'api-version': API_VERSION, 'docker-experimental': 'false', ostype: 'linux', server: d.serverName };
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => void dispatch(d, req, plainCall(req, res, headers)));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void dispatch(d, req, upgradeCall(req, socket, head, headers)));
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

type Base = Omit<Call, 'method' | 'path' | 'params' | 'query'>;

async function dispatch(d: ServerDeps, req: IncomingMessage, base: Base & { sent(): boolean }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://docker');
  const { version, path } = splitVersion(url.pathname);
  const call: Call = { ...base, method: req.method ?? 'GET', path, params: {}, query: url.searchParams };
  try {
    const problem = versionProblem(version);
    if (problem) throw badParameter(problem);
    const m = d.router.match(call.method, path);
    if (m === 'method') throw new DockerError(405, `${call.method} ${path} is not allowed`);
    if (!m) throw notImplemented(`${call.method} ${path}`);
    call.params = m.params;
    await m.handler(call);
  } catch (e) {
    const de = toDocker(e);
    if (de.status >= 500 && de.status !== 501) d.warn({ err: e, path }, 'docker api error');
    if (!base.sent()) call.json(de.status, { message: de.message });
    else d.warn({ err: e, path }, 'docker api error after the answer started');
  }
}

function readBody(src: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    src.on('data', (b: Buffer) => {
      n += b.length;
      if (n > limit) {
        src.destroy();
        reject(badParameter(`request body larger than ${limit} bytes`));
      } else parts.push(b);
    });
    src.once('end', () => resolve(Buffer.concat(parts)));
    src.once('error', reject);
  });
}

function plainCall(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Base & { sent(): boolean } {
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  return {
    headers: req.headers,
    signal: ac.signal,
    sent: () => res.headersSent,
    body: (limit = 4 * 2 ** 20) => readBody(req, limit),
    bodyStream: () => req,
    json(status, body) {
      const text = JSON.stringify(body);
      res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    empty(status, h = {}) {
      res.writeHead(status, { ...headers, ...h, 'content-length': 0 });
      res.end();
    },
    stream(status, contentType, h = {}) {
      res.writeHead(status, { ...headers, ...h, 'content-type': contentType });
      res.flushHeaders();
      return res;
    },
    hijack(contentType = 'application/vnd.docker.raw-stream'): RawStream {
      res.writeHead(200, { ...headers, 'content-type': contentType });
      res.flushHeaders();
      return { out: res, in: req, end: () => res.end() };
    },
  };
}

/** An upgraded connection: answers are written by hand on the socket; the body follows the head. */
function upgradeCall(req: IncomingMessage, socket: Duplex, head: Buffer, headers: Record<string, string>): Base & { sent(): boolean } {
  const ac = new AbortController();
  socket.once('close', () => ac.abort());
  socket.on('error', () => ac.abort());
  let sent = false;
  const input = new PassThrough();
  if (head.length) input.write(head);
  socket.pipe(input);
  const length = Number(req.headers['content-length'] ?? 0);
  let bodyRead: Promise<Buffer> | undefined;
  const writeHead = (status: number, h: Record<string, string | number>) => {
    sent = true;
    const lines = Object.entries({ ...headers, ...h }).map(([k, v]) => `${k}: ${v}`);
    socket.write(`HTTP/1.1 ${status} ${status === 101 ? 'UPGRADED' : statusText(status)}\r\n${lines.join('\r\n')}\r\n\r\n`);
  };
  return {
    headers: req.headers,
    signal: ac.signal,
    sent: () => sent,
    body(limit = 4 * 2 ** 20) {
      if (length > limit) return Promise.reject(badParameter(`request body larger than ${limit} bytes`));
      bodyRead ??= new Promise((resolve, reject) => {
        if (!length) return resolve(Buffer.alloc(0));
        const parts: Buffer[] = [];
        let n = 0;
        const onData = (b: Buffer) => {
          const need = length - n;
          if (b.length > need) input.unshift(b.subarray(need));
          parts.push(b.subarray(0, need));
          n += Math.min(need, b.length);
          if (n >= length) {
            input.off('data', onData);
            input.pause();
            resolve(Buffer.concat(parts));
          }
        };
        input.on('data', onData);
        input.once('error', reject);
      });
      return bodyRead;
    },
    bodyStream: () => input,
    json(status, body) {
      const text = JSON.stringify(body);
      writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
      socket.end(text);
    },
    empty(status, h = {}) {
      writeHead(status, { ...h, 'content-length': 0, connection: 'close' });
      socket.end();
    },
    stream(status, contentType, h = {}) {
      writeHead(status, { ...h, 'content-type': contentType, connection: 'close' });
      return socket as unknown as Writable;
    },
    hijack(contentType = 'application/vnd.docker.raw-stream'): RawStream {
      writeHead(101, { 'content-type': contentType, connection: 'Upgrade', upgrade: 'tcp' });
      input.resume();
      return { out: socket as unknown as Writable, in: input, end: () => socket.end() };
    },
  };
}

