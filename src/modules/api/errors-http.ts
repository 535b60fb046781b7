// The one place where LLMOS errors become HTTP statuses.
import type { ErrorCode } from '../../kernel/errors.js';
import { LlmosError, isDiskFull } from '../../kernel/errors.js';

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
