// The one place where LLMOS errors become HTTP statuses.
import type { ErrorCode } from '../../kernel/errors.js';
import { LlmosError } from '../../kernel/errors.js';

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
};

export function toHttp(err: unknown): { status: number; body: { error: string; code: string } } {
  if (err instanceof LlmosError) return { status: statusByCode[err.code], body: { error: err.message, code: err.code } };
  const e = err as { statusCode?: number; validation?: unknown; message?: string; code?: string };
  // Fastify's own errors (bad JSON, body too large, schema validation) carry a 4xx statusCode.
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, body: { error: e.message ?? 'bad request', code: e.validation ? 'E_INVALID_ARGUMENT' : (e.code ?? 'E_INVALID_ARGUMENT') } };
  return { status: 500, body: { error: e?.message ?? String(err), code: 'E_INTERNAL' } };
}
