import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '@privads/protocol';

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('can be computed in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, cut) => {
        const at = cut % (bytes.length + 1);
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(crc32c(bytes));
      }),
    );
  });

  it('detects every single-bit flip', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.nat(),
        fc.nat({ max: 7 }),
        (bytes, i, bit) => {
          const flipped = bytes.slice();
          const at = i % bytes.length;
          flipped[at] = (flipped[at] ?? 0) ^ (1 << bit);
          expect(crc32c(flipped)).not.toBe(crc32c(bytes));
        },
      ),
    );
  });
});
