// A small method + pattern router for the Docker paths. Image names hold slashes and colons
// ("127.0.0.1:5000/team/app:1"), so patterns are regular expressions with named groups, as
// Docker's own router uses `{name:.*}`.
import type { Call } from './call.js';

export type Handler = (c: Call) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  /** pattern: a path with named groups, e.g. "/containers/(?<id>[^/]+)/json"; anchored here. */
  on(method: string | string[], pattern: string, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) this.routes.push({ method: m, re: new RegExp(`^${pattern}$`), handler });
    return this;
  }

  /** The handler and path parameters, 'method' when the path exists under another method, or undefined. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let other = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) {
        other = true;
        continue;
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v ?? '');
      return { handler: r.handler, params };
    }
    return other ? 'method' : undefined;
  }
}

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.12';

/** Splits "/v1.41/containers/json" into the version ("1.41", or undefined) and the path. */
export function splitVersion(path: string): { version?: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  return m ? { version: m[1], path: m[2]! } : { path };
}

const num = (v: string): number => {
  const [a, b] = v.split('.').map(Number);
  return a! * 1000 + b!;
};
/** Docker refuses a client newer than the server, and one older than the minimum. */
export function versionProblem(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (num(v) > num(API_VERSION)) return `client version ${v} is too new. Maximum supported API version is ${API_VERSION}`;
  if (num(v) < num(MIN_API_VERSION)) return `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  return undefined;
}
