import { describe, expect, it } from 'vitest';

import { SecAggError } from '@privads/protocol';
import {
  SHARE_BYTES,
  SHARE_CIPHERTEXT_BYTES,
  decryptSharePair,
  encryptSharePair,
} from '@privads/secagg';

const envelope = { sharedSecret: new Uint8Array(32).fill(9), roundId: 12, from: 3, to: 8 };
const pair = {
  maskKeyShare: new Uint8Array(SHARE_BYTES).fill(1),
  seedShare: new Uint8Array(SHARE_BYTES).fill(2),
};

describe('share encryption', () => {
  it('round-trips and fails authentication on any change of key, round, direction or bytes', () => {
    const ct = encryptSharePair(envelope, pair);
    expect(ct).toHaveLength(SHARE_CIPHERTEXT_BYTES);
    expect(decryptSharePair(envelope, ct)).toEqual(pair);
    const tampered = ct.slice();
    tampered[20] = (tampered[20] as number) ^ 1;
    const wrong = [
      [{ ...envelope, from: 8, to: 3 }, ct],
      [{ ...envelope, roundId: 13 }, ct],
      [{ ...envelope, to: 9 }, ct],
      [{ ...envelope, sharedSecret: new Uint8Array(32).fill(8) }, ct],
      [envelope, tampered],
      [envelope, ct.slice(1)],
    ] as const;
    for (const [env, bytes] of wrong) {
      try {
        decryptSharePair(env, bytes);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(SecAggError);
        expect((error as SecAggError).code).toBe('SECAGG_DECRYPTION_FAILED');
      }
    }
  });

  it('uses a fresh nonce each time', () => {
    expect(encryptSharePair(envelope, pair)).not.toEqual(encryptSharePair(envelope, pair));
  });
});
