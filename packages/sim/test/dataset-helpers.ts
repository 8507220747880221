import { fileURLToPath } from 'node:url';
import { isPrivAdsError } from '@privads/protocol';

/** The path of a hand-written dataset fixture under `test/fixtures/`. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * What a loader's rejection says, as `CODE: message`, so a test can match both at once.
 * @throws what the promise rejects with when it is not a PrivAdsError; an Error when it resolves
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isPrivAdsError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a rejection');
}
