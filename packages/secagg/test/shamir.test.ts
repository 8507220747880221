import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SecAggError } from '@privads/protocol';
import { SHAMIR_PRIME, reconstructSecret, splitSecret } from '@privads/secagg';

const sharing = fc
  .record({
    secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    n: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer(),
  })
  .chain(({ secret, n, seed }) =>
    fc.record({
      secret: fc.constant(secret),
      xs: fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { minLength: n, maxLength: n }),
      threshold: fc.integer({ min: 1, max: n }),
      seed: fc.constant(seed),
    }),
  );

describe('Shamir sharing over GF(2^521 − 1)', () => {
  it('any t shares reconstruct the secret', () => {
    fc.assert(
      fc.property(sharing, fc.array(fc.nat()), ({ secret, xs, threshold }, picks) => {
        const shares = splitSecret(secret, xs, threshold);
        // A pseudo-random subset of size ≥ t, in any order.
        const subset = shares
          .filter((_, i) => i < threshold || (picks[i] ?? 0) % 2 === 0)
          .reverse();
        expect(reconstructSecret(subset, threshold)).toEqual(secret);
      }),
      { numRuns: 60 },
    );
  });

  it('t − 1 shares throw SECAGG_TOO_FEW', () => {
    fc.assert(
      fc.property(sharing, ({ secret, xs, threshold }) => {
        const shares = splitSecret(secret, xs, threshold).slice(0, threshold - 1);
        try {
          reconstructSecret(shares, threshold);
          return false;
        } catch (error) {
          return error instanceof SecAggError && error.code === 'SECAGG_TOO_FEW';
        }
      }),
      { numRuns: 40 },
    );
  });

  it('shares are field elements that look unrelated across secrets (a structural check only)', () => {
    // Perfect secrecy of t − 1 shares follows from the uniform coefficients; this only checks that
    // shares stay in the field and that two secrets' sharings do not coincide.
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const xs = [1, 2, 3, 4, 5];
    const sa = splitSecret(a, xs, 3);
    const sb = splitSecret(b, xs, 3);
    for (const s of [...sa, ...sb]) expect(s.y < SHAMIR_PRIME).toBe(true);
    expect(sa.map((s) => s.y)).not.toEqual(sb.map((s) => s.y));
  });

  it('detects a corrupted share when more than t arrive', () => {
    const secret = new Uint8Array(32).fill(7);
    const shares = splitSecret(secret, [1, 2, 3, 4, 5, 6], 4);
    const bad = shares.map((s, i) => (i === 5 ? { x: s.x, y: (s.y + 1n) % SHAMIR_PRIME } : s));
    expect(() => reconstructSecret(bad, 4)).toThrow(/does not lie on the polynomial/);
    expect(() => splitSecret(secret, [1, 1], 2)).toThrow(RangeError);
    expect(() => splitSecret(secret, [0, 1], 2)).toThrow(RangeError);
    expect(() => splitSecret(secret.slice(1), [1, 2], 2)).toThrow(RangeError);
  });
});
