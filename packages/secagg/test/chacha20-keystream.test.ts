import { chacha20 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  addChaCha20Keystream,
  addChaCha20KeystreamJs,
  chaCha20Backend,
} from '../src/chacha20-keystream.js';

const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));

/** Little-endian words of bytes, as the masking PRG reads the keystream. */
function wordsOf(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
}

/** The keystream as `@noble/ciphers` makes it (the masking PRG's earlier implementation). */
function nobleKeystream(key: Uint8Array, words: number): Uint32Array {
  const bytes = new Uint8Array(4 * words);
  chacha20(key, new Uint8Array(12), new Uint8Array(bytes.length), bytes);
  return wordsOf(bytes);
}

it('Node takes the native path (browsers the JavaScript one, tested in both forms below)', () => {
  expect(chaCha20Backend()).toBe('native');
});

describe.each([
  ['platform', addChaCha20Keystream],
  ['javascript', addChaCha20KeystreamJs],
] as const)('addChaCha20Keystream (%s)', (_, addChaCha20Keystream) => {
  it('adds the RFC 8439 keystream (Appendix A.1, test vectors 1 and 2: zero key and nonce, blocks 0 and 1)', () => {
    const block0 = hex(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7' +
        'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    );
    const block1 = hex(
      '9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed' +
        '29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f',
    );
    const target = new Uint32Array(32);
    addChaCha20Keystream(new Uint8Array(32), target, 1, 32);
    expect(target.slice(0, 16)).toEqual(wordsOf(block0));
    expect(target.slice(16)).toEqual(wordsOf(block1));
  });

  it('equals the reference keystream added or subtracted mod 2^bits, for any key, length and bits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 32 }),
        fc.boolean(),
        fc.integer({ min: 0 }),
        (key, length, bits, subtract, start) => {
          const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
          const target = Uint32Array.from({ length }, (_, i) => ((start + i * 7919) & mask) >>> 0);
          const expected = target.map((w, i) => {
            const k = nobleKeystream(key, length)[i] as number;
            return ((subtract ? w - k : w + k) & mask) >>> 0;
          });
          addChaCha20Keystream(key, target, subtract ? -1 : 1, bits);
          expect(target).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('matches over many blocks (the counter runs on) and refuses keys that are not 32 bytes', () => {
    const key = new Uint8Array(32).map((_, i) => 255 - i);
    // Past one native chunk (4,096 words) and not a whole number of blocks.
    const target = new Uint32Array(65_536 + 5);
    addChaCha20Keystream(key, target, 1, 32);
    expect(target).toEqual(nobleKeystream(key, target.length));
    expect(() => addChaCha20Keystream(new Uint8Array(16), target, 1, 32)).toThrow(RangeError);
  });
});
