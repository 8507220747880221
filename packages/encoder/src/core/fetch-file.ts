import { EncoderFileError, messageOf } from './errors.js';
import type { LoadedFile } from './load.js';

/**
 * Fetches an encoder file. Network failures and non-2xx answers are `ENCODER_MODEL_MISSING`; so is
 * an HTML page where a binary or JSON file was expected (dev servers and SPA hosts answer unknown
 * paths with `index.html` and status 200).
 * @param url - absolute URL
 * @param expected - what the file should be, for the error
 * @param fetchImpl - `fetch` to use
 * @returns the bytes and the URL
 * @throws {@link EncoderFileError} `ENCODER_MODEL_MISSING` naming the URL
 */
export async function fetchEncoderFile(
  url: string,
  expected: string,
  fetchImpl: typeof fetch,
): Promise<LoadedFile> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (cause) {
    throw new EncoderFileError(
      'ENCODER_MODEL_MISSING',
      url,
      `could not be fetched (${messageOf(cause)})`,
      expected,
      { cause },
    );
  }
  if (!response.ok) {
    throw new EncoderFileError(
      'ENCODER_MODEL_MISSING',
      url,
      `answered HTTP ${response.status}`,
      expected,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if ((response.headers.get('content-type') ?? '').includes('text/html') || looksLikeHtml(bytes)) {
    throw new EncoderFileError(
      'ENCODER_MODEL_MISSING',
      url,
      'answered with an HTML page (a fallback for a missing file?)',
      expected,
    );
  }
  return { bytes, source: url };
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}
