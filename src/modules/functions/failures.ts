// The invocation failure and its HTTP mapping live in the kernel now (shared by the functions
// module, the API and the gateway); this file keeps the module's own import path.
export { InvocationFailed, type FailureReason } from '../../kernel/invocation-failed.js';
export { failureStatus, failureResponse } from '../../kernel/http-errors.js';
