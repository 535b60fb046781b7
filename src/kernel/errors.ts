// The one set of error classes LLMOS raises. Each carries a stable code; transports map the
// class to a status only at their edge (see src/kernel/http-errors.ts, shared by the API and the gateway).

export type ErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_NOT_FOUND'
  | 'E_ALREADY_EXISTS'
  | 'E_FAILED_PRECONDITION'
  | 'E_CONFLICT'
  | 'E_UNAVAILABLE'
  | 'E_RESOURCE_EXHAUSTED'
  | 'E_UNAUTHENTICATED'
  | 'E_DEADLINE_EXCEEDED'
  | 'E_NO_SPACE'
  | 'E_INTERNAL';

export class LlmosError extends Error {
  readonly code: ErrorCode = 'E_INTERNAL';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the caller: a flag, a body, a manifest field. */
export class InvalidArgument extends LlmosError { override readonly code = 'E_INVALID_ARGUMENT' as const; }
export class NotFound extends LlmosError { override readonly code = 'E_NOT_FOUND' as const; }
export class AlreadyExists extends LlmosError { override readonly code = 'E_ALREADY_EXISTS' as const; }
/** The system is not in a state that allows the operation (e.g. unloading a required module). */
export class FailedPrecondition extends LlmosError { override readonly code = 'E_FAILED_PRECONDITION' as const; }
/** A compare-and-swap lost, or a concurrent change won. */
export class Conflict extends LlmosError { override readonly code = 'E_CONFLICT' as const; }
/** A needed module or host facility is not there (module unloaded, runc missing). */
export class Unavailable extends LlmosError { override readonly code = 'E_UNAVAILABLE' as const; }
/** Does not fit: capacity, quota, queue length. */
export class ResourceExhausted extends LlmosError { override readonly code = 'E_RESOURCE_EXHAUSTED' as const; }
export class Unauthenticated extends LlmosError { override readonly code = 'E_UNAUTHENTICATED' as const; }
export class DeadlineExceeded extends LlmosError { override readonly code = 'E_DEADLINE_EXCEEDED' as const; }
/** The data dir's filesystem is full (ENOSPC, SQLITE_FULL): writes fail until space returns, reads go on. */
export class NoSpace extends LlmosError { override readonly code = 'E_NO_SPACE' as const; }
export class Internal extends LlmosError { override readonly code = 'E_INTERNAL' as const; }
/** A lookup by kind found several loaded modules; name one (containerd's ErrPluginMultipleInstances). */
export class MultipleInstances extends FailedPrecondition {}

export const isNotFound = (e: unknown): e is NotFound => e instanceof NotFound;
export const isAlreadyExists = (e: unknown): e is AlreadyExists => e instanceof AlreadyExists;
export const isInvalidArgument = (e: unknown): e is InvalidArgument => e instanceof InvalidArgument;

/** Thrown from a module's init to decline loading on this host; the loader records the reason. */
export class SkipModule extends LlmosError {
  override readonly code = 'E_UNAVAILABLE' as const;
}

/**
 * Whether a raw error from the filesystem or SQLite means "the disk is full". SQLITE_IOERR* counts:
 * SQLite reports a failed write of the WAL or its index (e.g. growing -shm on a full disk) that way.
 */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR');
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
