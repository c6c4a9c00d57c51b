/**
 * The one error catalogue. Everything the API refuses is an ApiError; the error handler renders it in
 * Anthropic's envelope ({type:"error", error:{type, message, details?}, request_id}).
 */
export const ERROR_TYPES = [
  'invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'conflict_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly details?: Record<string, unknown>,
    /** headers the answer carries (`retry-after`, `x-should-retry`) */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 429: the client may try again after `retryAfterSeconds`, sent as `retry-after` (the SDKs honour it: decisions §34). */
export class RateLimitError extends ApiError {
  constructor(message: string, readonly retryAfterSeconds: number, details?: Record<string, unknown>) {
    super(429, 'rate_limit_error', message, details, { 'retry-after': String(retryAfterSeconds) });
  }
}

export const invalidRequest = (message: string) => new ApiError(400, 'invalid_request_error', message);
export const authenticationFailed = (message = 'invalid x-api-key') => new ApiError(401, 'authentication_error', message);
export const permissionDenied = (message: string) => new ApiError(403, 'permission_error', message);
export const notFound = (message = 'Not found') => new ApiError(404, 'not_found_error', message);
export const requestTooLarge = (message = 'Request exceeds the maximum allowed number of bytes.') =>
  new ApiError(413, 'request_too_large', message);
export const internalError = () => new ApiError(500, 'api_error', 'Internal server error');

export const profileNotFound = (id: string) => notFound(`User profile ${JSON.stringify(id)} not found.`);
