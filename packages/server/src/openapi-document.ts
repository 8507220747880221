/**
 * The OpenAPI document (`packages/server/openapi.json`, one level above both `src/` and `dist/`),
 * read once and served at `/openapi.json`.
 */
import { readFile } from 'node:fs/promises';

/** Location of `openapi.json`. */
export const OPENAPI_URL = new URL('../openapi.json', import.meta.url);

let cached: Promise<Uint8Array> | undefined;

/**
 * The document's bytes.
 * @returns the file content
 */
export function openApiBytes(): Promise<Uint8Array> {
  cached ??= readFile(OPENAPI_URL).then((b) => new Uint8Array(b));
  return cached;
}
