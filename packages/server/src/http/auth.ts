/**
 * Operator authentication: a bearer token compared in constant time (both sides are hashed first,
 * so neither the length nor a prefix of the token leaks through timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { HttpError } from './errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Checks `Authorization: Bearer <token>` headers against the operator token. */
export class BearerAuth {
  readonly #expected: Buffer | undefined;

  /**
   * @param token - the operator token; undefined disables the operator API (every call gets 403)
   * @throws RangeError for a token shorter than 16 characters (too easy to guess)
   */
  constructor(token: string | undefined) {
    if (token !== undefined && token.length < 16) {
      throw new RangeError(
        `the operator token must be at least 16 characters, got ${token.length}`,
      );
    }
    this.#expected = token === undefined ? undefined : digest(token);
  }

  /** Whether an operator token is configured. */
  get enabled(): boolean {
    return this.#expected !== undefined;
  }

  /**
   * Refuses the request unless it carries the operator token.
   * @param header - the `Authorization` header (null when absent)
   * @throws HttpError 401 without a bearer token, 403 with a wrong one or when no token is configured
   */
  check(header: string | null): void {
    const match = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (match === null) {
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'operator endpoints need Authorization: Bearer <token>',
        {
          'WWW-Authenticate': 'Bearer realm="privads-operator"',
        },
      );
    }
    if (this.#expected === undefined) {
      throw new HttpError(
        403,
        'UNAUTHORIZED',
        'the operator API is disabled: no operator token is configured',
      );
    }
    if (!timingSafeEqual(digest(match[1] ?? ''), this.#expected)) {
      throw new HttpError(403, 'UNAUTHORIZED', 'the operator token is not valid');
    }
  }
}
