// The one place where LLMOS errors become HTTP statuses, shared by the two HTTP edges (the API
// and the function gateway).
import { errorAnswer } from '../contracts/http-wire.js';
import type { ErrorCode } from './errors.js';
import { AlreadyExists, Conflict, FailedPrecondition, InvalidArgument, LlmosError, NotFound, ResourceExhausted, Unauthenticated, Unavailable, isDiskFull } from './errors.js';
import type { FailureReason, InvocationFailed } from './invocation-failed.js';

const statusByCode: Record<ErrorCode, number> = {
  E_INVALID_ARGUMENT: 400,
  E_UNAUTHENTICATED: 401,
  E_NOT_FOUND: 404,
  E_ALREADY_EXISTS: 409,
  E_CONFLICT: 409,
  E_FAILED_PRECONDITION: 409,
  E_RESOURCE_EXHAUSTED: 429,
  E_INTERNAL: 500,
  E_UNAVAILABLE: 503,
  E_DEADLINE_EXCEEDED: 504,
  E_NO_SPACE: 507, // RFC 4918 Insufficient Storage
};

export function toHttp(err: unknown): { status: number; body: { error: string; code: string } } {
  if (err instanceof LlmosError) return { status: statusByCode[err.code], body: { error: err.message, code: err.code } };
  // A module that wrote to the data dir without converting ENOSPC itself: still the disk, not a bug.
  if (isDiskFull(err)) return { status: 507, body: { error: `no space left in DATA_DIR: ${(err as Error).message}`, code: 'E_NO_SPACE' } };
  const e = err as { statusCode?: number; validation?: unknown; message?: string; code?: string };
  // Fastify's own errors (bad JSON, body too large, schema validation) carry a 4xx statusCode.
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, body: { error: e.message ?? 'bad request', code: e.validation ? 'E_INVALID_ARGUMENT' : (e.code ?? 'E_INVALID_ARGUMENT') } };
  return { status: 500, body: { error: e?.message ?? String(err), code: 'E_INTERNAL' } };
}

/** The other way: another LLMOS API's error answer (a node's) as the error it was, its message after `prefix`. */
export function fromHttp(status: number, text: string, prefix = ''): Error {
  const msg = errorAnswer(text).message || `HTTP ${status}`;
  const m = `${prefix}${msg}`;
  if (status === 404) return new NotFound(m);
  if (status === 400 || status === 422) return new InvalidArgument(m);
  if (status === 401) return new Unauthenticated(m);
  if (status === 409) return /already/i.test(msg) ? new AlreadyExists(m) : new Conflict(m);
  if (status === 429 || status === 507) return new ResourceExhausted(m);
  if (status >= 500) return new Unavailable(m);
  return new FailedPrecondition(m);
}

// An invocation's failure keeps finer statuses than its code (413, 502), as a proxy would answer.
const failureStatuses: Record<FailureReason, number> = {
  'not-found': 404,
  'cpu-limit': 500,
  'memory-limit': 500,
  timeout: 504,
  'handler-error': 500,
  'start-failed': 502,
  'queue-full': 429,
  'queue-timeout': 429,
  'body-too-large': 413,
  'quota-exceeded': 429,
  'bad-response': 502,
  unauthenticated: 401,
  'shutting-down': 503,
  'loop-detected': 508,
  'host-crashed': 502,
};

export const failureStatus = (reason: FailureReason): number => failureStatuses[reason];

/** The JSON body and headers the gateway and the invoke route send for a failed invocation. */
export function failureResponse(e: InvocationFailed): { status: number; headers: Record<string, string>; body: string; json: { error: string; code: string; reason: FailureReason } } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-llmos-failure': e.reason };
  if (e.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfter)));
  if (e.reason === 'unauthenticated') headers['www-authenticate'] = 'Bearer realm="llmos"';
  const json = { error: e.message, code: e.code, reason: e.reason };
  return { status: failureStatus(e.reason), headers, body: JSON.stringify(json), json };
}
