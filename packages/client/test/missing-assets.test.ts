/**
 * Finding the missing files of a feature that failed to load: HEAD requests with the private
 * request options, error statuses and network failures are missing, 2xx files are not.
 */
import { describe, expect, it } from 'vitest';
import { describeMissingAsset, findMissingAssets } from '../src/worker/missing-assets.js';

describe('findMissingAssets', () => {
  it('asks with HEAD, without credentials or referrer, and keeps what does not answer 2xx', async () => {
    const requests: { url: string; init: RequestInit | undefined }[] = [];
    const fetchFn = async (url: string, init?: RequestInit): Promise<Response> => {
      requests.push({ url, init });
      if (url.endsWith('down.wasm')) throw new TypeError('Failed to fetch');
      return new Response(null, { status: url.endsWith('ok.wasm') ? 200 : 404 });
    };
    const missing = await findMissingAssets(
      fetchFn,
      ['https://pub.test/ok.wasm', 'https://pub.test/gone.wasm', 'https://pub.test/down.wasm'],
      'on-device learning',
    );
    expect(missing).toEqual([
      { url: 'https://pub.test/gone.wasm', status: 404, neededFor: 'on-device learning' },
      { url: 'https://pub.test/down.wasm', status: 'unreachable', neededFor: 'on-device learning' },
    ]);
    expect(requests.map((r) => r.init)).toEqual(
      Array(3).fill(
        expect.objectContaining({
          method: 'HEAD',
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
        }),
      ),
    );
  });

  it('describes a missing file with its URL, its answer and what the reader loses', () => {
    expect(
      describeMissingAsset({
        url: 'https://pub.test/a/encoder.json',
        status: 404,
        neededFor: 'content encoder',
      }),
    ).toMatch(
      /^https:\/\/pub\.test\/a\/encoder\.json answered HTTP 404; it is needed for the content encoder, so page text is ignored/,
    );
    expect(
      describeMissingAsset({
        url: 'https://pub.test/x.wasm',
        status: 'unreachable',
        neededFor: 'on-device learning',
      }),
    ).toMatch(/x\.wasm could not be fetched; .*tfjs' slower CPU backend/);
  });
});
