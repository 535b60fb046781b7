// Docker's error shape at this transport's edge: {"message": "..."} with Docker's statuses
// (404 No such container, 409 conflict, 400 bad parameter, 304 not modified, 501 not implemented).
// The kernel's error classes map here, as the REST API maps them in api/errors-http.ts.
import { LlmosError, errorMessage, isNotFound } from '../../kernel/errors.js';

export class DockerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DockerError';
  }
}

export const notImplemented = (what: string): DockerError => new DockerError(501, `${what} is not implemented by LLMOS`);
export const badParameter = (message: string): DockerError => new DockerError(400, message);

const statusByCode: Record<string, number> = {
  E_INVALID_ARGUMENT: 400,
  E_NOT_FOUND: 404,
  E_ALREADY_EXISTS: 409,
  E_FAILED_PRECONDITION: 409,
  E_CONFLICT: 409,
  E_RESOURCE_EXHAUSTED: 429,
  E_UNAVAILABLE: 503,
  E_UNAUTHENTICATED: 401,
  E_DEADLINE_EXCEEDED: 504,
  E_NO_SPACE: 507,
  E_INTERNAL: 500,
};

export function toDocker(e: unknown): DockerError {
  if (e instanceof DockerError) return e;
  if (e instanceof LlmosError) return new DockerError(statusByCode[e.code] ?? 500, e.message);
  return new DockerError(500, errorMessage(e));
}

/** Runs fn; a NotFound becomes Docker's "No such container: x" (the CLI matches that text). */
export async function orNoSuch<T>(what: 'container' | 'image' | 'exec instance', id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isNotFound(e)) throw new DockerError(404, `No such ${what}: ${id}`);
    throw e;
  }
}
