// The error of an invocation that did not produce the function's own response. Shared by the
// functions module (which throws it) and both HTTP edges (API invoke route, gateway), which map
// its reason to a status in http-errors.ts.
import type { FailureReason } from '../contracts/functions.js';
import { LlmosError, type ErrorCode } from './errors.js';

export type { FailureReason };

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
