/**
 * The gzip variant of an immutable file, made once per entity tag and kept for the few files asked
 * for most recently (clients mostly ask for the newest catalog's). Compressing runs on libuv's
 * thread pool, so a 40 MB index does not stall other requests.
 */
import { gzip } from 'node:zlib';

import type { AppRequest } from './app-request.js';

/** A compressed variant and its own strong validator. */
export interface GzipVariant {
  /** Compressed bytes. */
  readonly bytes: Uint8Array;
  /** Entity tag of the variant: the identity's with `-gzip` inside the quotes. */
  readonly etag: string;
}

const KEPT = 2;
const variants = new Map<string, Promise<GzipVariant | undefined>>();

/**
 * Whether the request accepts a gzip body (`Accept-Encoding` lists `gzip` without `q=0`).
 * @param request - the request
 * @returns true when gzip may be sent
 */
export function acceptsGzip(request: AppRequest): boolean {
  const header = request.headers.get('accept-encoding');
  if (header === null) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== '*') return false;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
    return q === undefined || Number(q) > 0;
  });
}

/**
 * The gzip variant of some bytes, or nothing when it would not be smaller (codes of a PQ index are
 * close to incompressible: then the identity is served and nobody pays for decompression).
 * @param bytes - the identity bytes
 * @param etag - their strong entity tag (`"…"`)
 * @returns the variant, or `undefined`
 */
export function gzipVariant(bytes: Uint8Array, etag: string): Promise<GzipVariant | undefined> {
  const found = variants.get(etag);
  if (found !== undefined) return found;
  const made = new Promise<GzipVariant | undefined>((resolve, reject) => {
    gzip(bytes, (error, out) => {
      if (error) reject(error);
      else
        resolve(
          out.byteLength < bytes.byteLength
            ? { bytes: new Uint8Array(out), etag: `${etag.slice(0, -1)}-gzip"` }
            : undefined,
        );
    });
  });
  variants.set(etag, made);
  made.catch(() => variants.delete(etag));
  if (variants.size > KEPT) variants.delete(variants.keys().next().value as string);
  return made;
}
