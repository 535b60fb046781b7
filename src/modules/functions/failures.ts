// Why an invocation did not produce the function's own response. The gateway and the /v1 invoke
// route turn a reason into an HTTP status with `failureStatus`; the message names the reason.
import { LlmosError, type ErrorCode } from '../../kernel/errors.js';

export type FailureReason =
  | 'not-found'
  | 'cpu-limit'
  | 'memory-limit'
  | 'timeout'
  | 'handler-error'
  | 'start-failed'
  | 'queue-full'
  | 'queue-timeout'
  | 'body-too-large'
  | 'quota-exceeded'
  | 'bad-response'
  | 'unauthenticated'
  | 'shutting-down'
  | 'loop-detected'
  | 'host-crashed';

const codes: Record<FailureReason, ErrorCode> = {
  'not-found': 'E_NOT_FOUND',
  'cpu-limit': 'E_RESOURCE_EXHAUSTED',
  'memory-limit': 'E_RESOURCE_EXHAUSTED',
  timeout: 'E_DEADLINE_EXCEEDED',
  'handler-error': 'E_INTERNAL',
  'start-failed': 'E_UNAVAILABLE',
  'queue-full': 'E_RESOURCE_EXHAUSTED',
  'queue-timeout': 'E_RESOURCE_EXHAUSTED',
  'body-too-large': 'E_INVALID_ARGUMENT',
  'quota-exceeded': 'E_RESOURCE_EXHAUSTED',
  'bad-response': 'E_UNAVAILABLE',
  unauthenticated: 'E_UNAUTHENTICATED',
  'shutting-down': 'E_UNAVAILABLE',
  'loop-detected': 'E_RESOURCE_EXHAUSTED',
  'host-crashed': 'E_UNAVAILABLE',
};

const statuses: Record<FailureReason, number> = {
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

export class InvocationFailed extends LlmosError {
  override readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (429s). */
  retryAfter?: number;
  constructor(readonly reason: FailureReason, message: string, opts: { cause?: unknown; retryAfter?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = codes[reason];
    this.retryAfter = opts.retryAfter;
  }
}

export const failureStatus = (reason: FailureReason): number => statuses[reason];

/** The JSON body and headers the gateway sends for a failure. */
export function failureResponse(e: InvocationFailed): { status: number; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-llmos-failure': e.reason };
  if (e.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfter)));
  if (e.reason === 'unauthenticated') headers['www-authenticate'] = 'Bearer realm="llmos"';
  return { status: failureStatus(e.reason), headers, body: JSON.stringify({ error: e.message, code: e.code, reason: e.reason }) };
}
