/**
 * The ChaCha20 keystream of RFC 8439 (zero nonce, block counter from 0), added to or subtracted
 * from a vector of words mod 2^bits as it is generated. Masking needs only the keystream, so the
 * JavaScript path never materialises it: no keystream buffer, no zero plaintext to XOR, no second
 * pass to reduce and add (`@noble/ciphers`' `chacha20` did all three and cost ≈ 1.5× as much per
 * mask); its block function is the RFC's, with the 16 state words held in locals so that V8 keeps
 * them in registers. Where the platform has a native ChaCha20 (Node's OpenSSL, reached through
 * `process.getBuiltinModule`, so browsers and bundlers never see a Node import), the keystream
 * comes from it in 16 KiB chunks: the same words, ≈ 3× faster. Browsers take the JavaScript path.
 */

import { accumulateModular, bitMask } from './modular-vector.js';

const SIGMA0 = 0x61707865;
const SIGMA1 = 0x3320646e;
const SIGMA2 = 0x79622d32;
const SIGMA3 = 0x6b206574;

/** Most words one key may produce: 2³² blocks of 16 words, the RFC's 32-bit block counter. */
export const MAX_KEYSTREAM_WORDS = 2 ** 36;

function littleEndianWord(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

/** The part of `node:crypto` the native path uses, typed locally (no Node typings here). */
interface NativeChaCha20 {
  getCiphers(): string[];
  createCipheriv(
    algorithm: 'chacha20',
    key: Uint8Array,
    iv: Uint8Array,
  ): { update(data: Uint8Array): Uint8Array };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const CHUNK_WORDS = 4096;

function findNativeChaCha20(): NativeChaCha20 | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  try {
    const crypto = host.process?.getBuiltinModule?.('node:crypto') as NativeChaCha20 | undefined;
    // FIPS builds of OpenSSL have no ChaCha20.
    return LITTLE_ENDIAN && crypto?.getCiphers().includes('chacha20') === true ? crypto : undefined;
  } catch {
    return undefined;
  }
}

const native = findNativeChaCha20();
let zeroChunk: Uint8Array | undefined;

/**
 * Which implementation {@link addChaCha20Keystream} uses on this platform.
 * @returns `native` (Node's OpenSSL) or `javascript`
 */
export function chaCha20Backend(): 'native' | 'javascript' {
  return native === undefined ? 'javascript' : 'native';
}

/**
 * target[i] ← target[i] + sign·w_i mod 2^bits (see {@link addChaCha20KeystreamJs}), through the
 * platform's native ChaCha20 when there is one, else in JavaScript: the same words either way.
 * @param key - the 32-byte key
 * @param target - words < 2^bits, updated in place
 * @param sign - +1 adds the keystream, −1 subtracts it
 * @param bits - modulus exponent, 1..32
 * @throws RangeError for a key that is not 32 bytes, a target longer than the counter allows, or
 *   bits outside 1..32
 */
export function addChaCha20Keystream(
  key: Uint8Array,
  target: Uint32Array,
  sign: 1 | -1,
  bits: number,
): void {
  if (native === undefined) {
    addChaCha20KeystreamJs(key, target, sign, bits);
    return;
  }
  checkArguments(key, target);
  // RFC 8439's 16-byte IV as OpenSSL takes it: the 32-bit block counter (0), then the nonce (0).
  const cipher = native.createCipheriv('chacha20', key, new Uint8Array(16));
  zeroChunk ??= new Uint8Array(4 * CHUNK_WORDS);
  const n = target.length;
  for (let at = 0; at < n; at += CHUNK_WORDS) {
    const words = Math.min(CHUNK_WORDS, n - at);
    const bytes = cipher.update(zeroChunk.subarray(0, 4 * words));
    const stream =
      bytes.byteOffset % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, words)
        : new Uint32Array(bytes.slice().buffer, 0, words);
    accumulateModular(target.subarray(at, at + words), stream, sign, bits);
  }
}

function checkArguments(key: Uint8Array, target: Uint32Array): void {
  if (key.length !== 32) throw new RangeError(`ChaCha20 key must be 32 bytes, got ${key.length}`);
  if (target.length > MAX_KEYSTREAM_WORDS) {
    throw new RangeError(`a ChaCha20 keystream has at most ${MAX_KEYSTREAM_WORDS} words`);
  }
}

/**
 * target[i] ← target[i] + sign·w_i mod 2^bits for i < target.length, where w_i is the i-th
 * little-endian 32-bit word of the ChaCha20 keystream of `key` with an all-zero 96-bit nonce and
 * initial block counter 0 (RFC 8439 §2.4: the state words themselves are those words), computed
 * in JavaScript (every platform).
 * @param key - the 32-byte key
 * @param target - words < 2^bits, updated in place
 * @param sign - +1 adds the keystream, −1 subtracts it
 * @param bits - modulus exponent, 1..32
 * @throws RangeError for a key that is not 32 bytes, a target longer than the counter allows, or
 *   bits outside 1..32
 */
export function addChaCha20KeystreamJs(
  key: Uint8Array,
  target: Uint32Array,
  sign: 1 | -1,
  bits: number,
): void {
  checkArguments(key, target);
  const mask = bitMask(bits);
  const k0 = littleEndianWord(key, 0);
  const k1 = littleEndianWord(key, 4);
  const k2 = littleEndianWord(key, 8);
  const k3 = littleEndianWord(key, 12);
  const k4 = littleEndianWord(key, 16);
  const k5 = littleEndianWord(key, 20);
  const k6 = littleEndianWord(key, 24);
  const k7 = littleEndianWord(key, 28);
  const block = new Uint32Array(16);
  const n = target.length;
  for (let at = 0, counter = 0; at < n; at += 16, counter++) {
    let x0 = SIGMA0;
    let x1 = SIGMA1;
    let x2 = SIGMA2;
    let x3 = SIGMA3;
    let x4 = k0;
    let x5 = k1;
    let x6 = k2;
    let x7 = k3;
    let x8 = k4;
    let x9 = k5;
    let x10 = k6;
    let x11 = k7;
    let x12 = counter;
    let x13 = 0;
    let x14 = 0;
    let x15 = 0;
    for (let round = 0; round < 10; round++) {
      // The eight quarter rounds written out: a helper could not update four locals in place.
      // Column rounds: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 7) | (x4 >>> 25);

      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 7) | (x5 >>> 25);

      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 7) | (x6 >>> 25);

      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 7) | (x7 >>> 25);

      // Diagonal rounds: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 7) | (x5 >>> 25);

      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 7) | (x6 >>> 25);

      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 7) | (x7 >>> 25);

      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 7) | (x4 >>> 25);
    }
    block[0] = x0 + SIGMA0;
    block[1] = x1 + SIGMA1;
    block[2] = x2 + SIGMA2;
    block[3] = x3 + SIGMA3;
    block[4] = x4 + k0;
    block[5] = x5 + k1;
    block[6] = x6 + k2;
    block[7] = x7 + k3;
    block[8] = x8 + k4;
    block[9] = x9 + k5;
    block[10] = x10 + k6;
    block[11] = x11 + k7;
    block[12] = x12 + counter;
    block[13] = x13;
    block[14] = x14;
    block[15] = x15;
    const end = Math.min(16, n - at);
    // `& mask` reduces mod 2^bits (2^bits divides 2^32); `>>> 0` keeps 32-bit results unsigned.
    if (sign === 1) {
      for (let j = 0; j < end; j++)
        target[at + j] = (((target[at + j] as number) + (block[j] as number)) & mask) >>> 0;
    } else {
      for (let j = 0; j < end; j++)
        target[at + j] = (((target[at + j] as number) - (block[j] as number)) & mask) >>> 0;
    }
  }
}
