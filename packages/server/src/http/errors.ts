/**
 * HTTP errors: every refusal is a JSON body `{ "error": { "code", "message" } }` with a 4xx/5xx
 * status. `code` is a stable {@link ErrorCode} of `@privads/protocol`, so a client can rebuild the
 * error with `deserializeError` and branch on it.
 */
import {
  PROTOCOL_ERROR_CODES,
  PrivAdsError,
  isPrivAdsError,
  type ErrorCode,
} from '@privads/protocol';

/** An error that carries the HTTP status it should be answered with. */
export class HttpError extends PrivAdsError {
  /** HTTP status (4xx or 5xx). */
  readonly status: number;
  /** Extra response headers (e.g. `Retry-After`, `Allow`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status - HTTP status
   * @param code - stable error code
   * @param message - human-readable explanation, safe to show to the caller
   * @param headers - extra response headers
   * @param options - `cause`: the underlying error
   */
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/** Protocol codes that mean "well-formed, but a value is out of bounds" (422, not 400). */
const UNPROCESSABLE: ReadonlySet<ErrorCode> = new Set(['NON_FINITE', 'OUT_OF_RANGE']);
const FORMAT: ReadonlySet<ErrorCode> = new Set(PROTOCOL_ERROR_CODES);

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  OVERSIZE: 413,
  AGGREGATION_STALE_ROUND: 409,
  AGGREGATION_DUPLICATE_NONCE: 409,
  AGGREGATION_ROUND_CLOSED: 409,
  AGGREGATION_TOO_FEW: 409,
  CONFLICT: 409,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
  STORAGE_UNAVAILABLE: 503,
  STORAGE_QUOTA: 507,
  SECAGG_WRONG_PHASE: 409,
  SECAGG_UNKNOWN_TICKET: 404,
  SECAGG_DROPPED: 410,
  SECAGG_TOO_FEW: 409,
  SECAGG_CONFLICTING_REQUEST: 409,
  SECAGG_BAD_MESSAGE: 400,
  SECAGG_DECRYPTION_FAILED: 400,
};

/** Seconds a device that is early for a secure-aggregation phase waits before it asks again. */
const SECAGG_RETRY_SECONDS = '1';

/**
 * Maps any thrown value to the HTTP error to answer with. Protocol (format) errors are 400 except
 * out-of-bounds values (422) and oversize input (413); unknown errors become a 500 whose message
 * hides internals.
 * @param error - anything caught while handling a request
 * @returns the error to send
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isPrivAdsError(error)) {
    const status =
      STATUS_BY_CODE[error.code] ??
      (UNPROCESSABLE.has(error.code) ? 422 : FORMAT.has(error.code) ? 400 : 500);
    const message = status === 500 ? 'internal error' : error.message;
    return new HttpError(
      status,
      status === 500 ? 'INTERNAL' : error.code,
      message,
      error.code === 'SECAGG_WRONG_PHASE' ? { 'Retry-After': SECAGG_RETRY_SECONDS } : {},
      {
        cause: error,
      },
    );
  }
  return new HttpError(500, 'INTERNAL', 'internal error', {}, { cause: error });
}

/**
 * The JSON body of an error response.
 * @param error - the error
 * @returns `{ error: { code, message } }`
 */
export function errorBody(error: HttpError): { error: { code: ErrorCode; message: string } } {
  return { error: { code: error.code, message: error.message } };
}
