/**
 * Request bodies with a hard size cap, on the Fetch API. The declared `Content-Length` is checked
 * before a single byte is read, and bytes are counted while the stream is read (chunked uploads have
 * no length), so an oversize or lying request costs at most `maxBytes` of memory: the stream is
 * cancelled as soon as it passes the cap.
 *
 * A request built by the node:http adapter carries no Fetch body: its bytes are read from the
 * socket by the adapter's `bodyReader`, which gives the same chunks with less machinery than a web
 * `ReadableStream` per request.
 */
import { Buffer } from 'node:buffer';

import type { AppRequest } from './app-request.js';
import type { BufferPool } from './buffer-pool.js';
import { HttpError } from './errors.js';

const oversize = (message: string): HttpError =>
  new HttpError(413, 'OVERSIZE', message, { Connection: 'close' });

/**
 * Throws 413 when the declared length is over the cap, and 400 when it is not a number. Call before
 * any other work on an upload, so that an oversize request is refused without being read.
 * @param headers - the request headers
 * @param maxBytes - the cap
 * @returns the declared length, or undefined for a chunked body
 * @throws HttpError 413 `OVERSIZE`, 400 `BAD_HEADER`
 */
export function checkDeclaredLength(
  headers: AppRequest['headers'],
  maxBytes: number,
): number | undefined {
  const header = headers.get('content-length');
  if (header === null) return undefined;
  if (!/^\d{1,15}$/.test(header)) {
    throw new HttpError(
      400,
      'BAD_HEADER',
      `Content-Length must be a number, got ${JSON.stringify(header)}`,
    );
  }
  const length = Number(header);
  if (length > maxBytes) throw oversize(`body of ${length} bytes exceeds the limit of ${maxBytes}`);
  return length;
}

/**
 * Reads the whole body, refusing it as soon as it passes `maxBytes`.
 * @param request - the request (body not yet used)
 * @param maxBytes - the cap
 * @param pool - where a body of declared length takes its buffer from; the caller gives the
 *   returned body back to it once nothing refers to the body any more (without a pool, each body
 *   has a buffer of its own)
 * @returns the body bytes (empty for a request without a body)
 * @throws HttpError 413 `OVERSIZE` (the rest of the stream is cancelled, never read),
 *   400 `TRUNCATED` when the body ends before its declared length or the stream fails
 */
export async function readCappedBody(
  request: AppRequest,
  maxBytes: number,
  pool?: BufferPool,
): Promise<Uint8Array> {
  const declared = checkDeclaredLength(request.headers, maxBytes);
  const reader = request.bodyReader ?? request.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  // One buffer when the length is known; chunks are copied straight into place. Not zeroed
  // (every byte is written before the body is returned: `received` must reach its length), and
  // never from Buffer's shared pool: a plain Uint8Array over its own buffer. Zeroing doubled the
  // cost of taking a 262 KB upload (`npm run bench:server`).
  const exact =
    declared === undefined
      ? undefined
      : (pool?.take(declared) ??
        new Uint8Array(Buffer.allocUnsafeSlow(declared).buffer, 0, declared));
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.length > maxBytes || (exact && received + value.length > exact.length)) {
        throw exact && received + value.length <= maxBytes
          ? new HttpError(
              400,
              'TRAILING_BYTES',
              `body is longer than its Content-Length of ${exact.length}`,
            )
          : oversize(`body exceeds the limit of ${maxBytes} bytes`);
      }
      if (exact) exact.set(value, received);
      else chunks.push(value);
      received += value.length;
    }
  } catch (error) {
    if (exact) pool?.give(exact);
    await reader.cancel().catch(() => undefined);
    if (error instanceof HttpError) throw error;
    throw new HttpError(
      400,
      'TRUNCATED',
      `request body failed after ${received} bytes`,
      {},
      { cause: error },
    );
  }
  if (exact) {
    if (received !== exact.length) {
      pool?.give(exact);
      throw new HttpError(
        400,
        'TRUNCATED',
        `body ended after ${received} of ${exact.length} bytes`,
      );
    }
    return exact;
  }
  const body = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
