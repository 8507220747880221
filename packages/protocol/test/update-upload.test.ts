import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  UPDATE_MAGIC,
  decodeMaskedUpdate,
  decodeUpdate,
  encodeMaskedUpdate,
  encodeUpdate,
  f16BitsToF32,
  f32ToF16Bits,
  generateNonce,
  isValidNonce,
  maxUpdateBytes,
  toBase64Url,
  type ProtocolErrorCode,
  type UpdateEncoding,
} from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  float32Array,
  mutationArbitrary,
} from './helpers.js';

const UPDATE_CODES: readonly ProtocolErrorCode[] = [
  'OVERSIZE',
  'TRUNCATED',
  'TRAILING_BYTES',
  'BAD_MAGIC',
  'UNSUPPORTED_VERSION',
  'LENGTH_OVERFLOW',
  'BAD_HEADER',
  'OUT_OF_RANGE',
  'DIM_MISMATCH',
  'NON_FINITE',
];

const NONCE = 'AAECAwQFBgcICQoLDA0ODw'; // base64url of bytes 0..15

/** Builds an upload byte by byte: magic, u16 version, u32 header length, padded JSON, body. */
function build(
  header: object | string,
  body: Uint8Array,
  options: { version?: number; magic?: string } = {},
): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const bodyStart = Math.ceil((14 + json.length) / 8) * 8;
  const bytes = new Uint8Array(bodyStart + body.length);
  bytes.set(new TextEncoder().encode(options.magic ?? 'PRVUPDAT'));
  const view = new DataView(bytes.buffer);
  view.setUint16(8, options.version ?? 1, true);
  view.setUint32(10, bodyStart - 14, true);
  bytes.set(json, 14);
  bytes.fill(0x20, 14 + json.length, bodyStart);
  bytes.set(body, bodyStart);
  return bytes;
}

const f32Body = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const header = (extra: object = {}) => ({
  roundId: 3,
  projectorVersion: 2,
  nonce: NONCE,
  encoding: 'f32',
  length: 2,
  ...extra,
});

describe('nonce', () => {
  it('is base64url of 16 CSPRNG bytes and validated canonically', () => {
    expect(toBase64Url(Uint8Array.from({ length: 16 }, (_, i) => i))).toBe(NONCE);
    expect(toBase64Url(new TextEncoder().encode('foobar'))).toBe('Zm9vYmFy');
    expect(toBase64Url(new TextEncoder().encode('fo'))).toBe('Zm8');
    const nonces = new Set(Array.from({ length: 100 }, generateNonce));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(isValidNonce(n)).toBe(true);
    expect(isValidNonce(`${NONCE}=`)).toBe(false);
    expect(isValidNonce(NONCE.slice(0, 21) + 'B')).toBe(false); // non-zero padding bits
    expect(isValidNonce('AAECAwQFBgcICQoLDA0OD+')).toBe(false);
    expect(isValidNonce(42)).toBe(false);
  });
});

describe('update upload format', () => {
  it('decodes a hand-built f32 upload', () => {
    const bytes = build(header(), f32Body(0.5, -1.25));
    expect(bytes.length % 8).toBe(0);
    const { header: h, vector } = decodeUpdate(bytes, { expectedLength: 2 });
    expect(h).toEqual({
      roundId: 3,
      projectorVersion: 2,
      nonce: NONCE,
      encoding: 'f32',
      length: 2,
    });
    expect(Array.from(vector)).toEqual([0.5, -1.25]);
  });

  it('decodes from a view into a larger buffer (e.g. a pooled Node Buffer) at any offset', () => {
    const bytes = build(header(), f32Body(0.5, -1.25));
    for (const offset of [0, 1, 3, 8]) {
      const pool = new Uint8Array(offset + bytes.length + 13).fill(0xff);
      pool.set(bytes, offset);
      const view = new Uint8Array(pool.buffer, offset, bytes.length);
      expect(Array.from(decodeUpdate(view, { expectedLength: 2 }).vector)).toEqual([0.5, -1.25]);
      // A Buffer's own `slice` returns a view of the pool; decoding must not depend on it.
      const buffer = Buffer.from(pool.buffer, offset, bytes.length);
      expect(Array.from(decodeUpdate(buffer, { expectedLength: 2 }).vector)).toEqual([0.5, -1.25]);
    }
  });

  it('encodes exactly the hand-built bytes', () => {
    const out = encodeUpdate(
      { roundId: 3, projectorVersion: 2, vector: Float32Array.of(0.5, -1.25) },
      { encoding: 'f32', nonce: NONCE },
    );
    expect(Array.from(out)).toEqual(Array.from(build(header(), f32Body(0.5, -1.25))));
  });

  it('sends nothing but the six documented header fields', () => {
    for (const encoding of ['f32', 'f16', 'int8'] as const) {
      const bytes = encodeUpdate(
        { roundId: 1, projectorVersion: 1, vector: Float32Array.of(0.1, 0.2) },
        { encoding },
      );
      const length = new DataView(bytes.buffer).getUint32(10, true);
      const json = JSON.parse(new TextDecoder().decode(bytes.subarray(14, 14 + length))) as object;
      const expected = ['roundId', 'projectorVersion', 'nonce', 'encoding', 'length'];
      expect(Object.keys(json)).toEqual(encoding === 'int8' ? [...expected, 'scale'] : expected);
      expect(bytes.length).toBeLessThanOrEqual(maxUpdateBytes(2, encoding));
    }
  });

  it('round-trips f32 exactly', () => {
    fc.assert(
      fc.property(
        float32Array({ maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        (vector, roundId, projectorVersion) => {
          const bytes = encodeUpdate({ roundId, projectorVersion, vector }, { encoding: 'f32' });
          const decoded = decodeUpdate(bytes, { expectedLength: vector.length });
          expect(decoded.header.roundId).toBe(roundId);
          expect(decoded.header.projectorVersion).toBe(projectorVersion);
          expect(isValidNonce(decoded.header.nonce)).toBe(true);
          expect(Array.from(decoded.vector)).toEqual(Array.from(vector));
        },
      ),
    );
  });

  it('round-trips f16 within half-precision rounding', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ noNaN: true, min: -65504, max: 65504, maxLength: 200 }),
        (vector) => {
          const decoded = decodeUpdate(
            encodeUpdate({ roundId: 0, projectorVersion: 0, vector }, { encoding: 'f16' }),
          );
          vector.forEach((x, i) => {
            const y = decoded.vector[i] ?? NaN;
            expect(y).toBe(f16BitsToF32(f32ToF16Bits(x)));
            // Relative error ≤ 2^-11 for normals, absolute ≤ 2^-25 in the subnormal range.
            expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
          });
        },
      ),
    );
  });

  it('round-trips int8 within one scale step, unbiased on average', () => {
    fc.assert(
      fc.property(float32Array({ maxLength: 200 }), (vector) => {
        const bytes = encodeUpdate(
          { roundId: 0, projectorVersion: 0, vector },
          { encoding: 'int8' },
        );
        const { header: h, vector: out } = decodeUpdate(bytes);
        const maxabs = vector.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(h.scale).toBe(maxabs / 127);
        vector.forEach((x, i) => {
          expect(Math.abs((out[i] ?? 0) - x)).toBeLessThanOrEqual(
            (h.scale ?? 0) * (1 + 1e-6) + 1e-30,
          );
        });
      }),
    );
    const vector = Float32Array.of(0.013, -0.77, 0.5, 1);
    const mean = new Float64Array(vector.length);
    const draws = 4000;
    for (let d = 0; d < draws; d++) {
      const { vector: out } = decodeUpdate(
        encodeUpdate({ roundId: 0, projectorVersion: 0, vector }, { encoding: 'int8' }),
      );
      out.forEach((v, i) => (mean[i] = (mean[i] ?? 0) + v / draws));
    }
    const step = 1 / 127;
    vector.forEach((x, i) =>
      expect(Math.abs((mean[i] ?? 0) - x)).toBeLessThan((5 * step) / 2 / Math.sqrt(draws)),
    );
  });

  it('rejects non-finite vectors and bad arguments when encoding', () => {
    const up = (vector: Float32Array, encoding: UpdateEncoding = 'f32') =>
      encodeUpdate({ roundId: 0, projectorVersion: 0, vector }, { encoding });
    expectCode(() => up(Float32Array.of(1, NaN)), 'NON_FINITE');
    expectCode(() => up(Float32Array.of(Infinity)), 'NON_FINITE');
    expectCode(() => up(Float32Array.of(-Infinity), 'int8'), 'NON_FINITE');
    expectCode(() => up(Float32Array.of(70000), 'f16'), 'NON_FINITE');
    expectCode(
      () =>
        encodeUpdate(
          { roundId: -1, projectorVersion: 0, vector: new Float32Array(1) },
          { encoding: 'f32' },
        ),
      'OUT_OF_RANGE',
    );
    expectCode(
      () =>
        encodeUpdate(
          { roundId: 0, projectorVersion: 0.5, vector: new Float32Array(1) },
          { encoding: 'f32' },
        ),
      'OUT_OF_RANGE',
    );
    expectCode(
      () =>
        encodeUpdate(
          { roundId: 0, projectorVersion: 0, vector: new Float32Array(1) },
          { encoding: 'f32', nonce: 'short' },
        ),
      'BAD_HEADER',
    );
    expect(() => up(new Float32Array(1), 'f64' as UpdateEncoding)).toThrow(RangeError);
  });
});

describe('update upload validation (one test per code)', () => {
  const valid = build(header(), f32Body(1, 2));

  it('OVERSIZE before parsing, and for lengths over maxDim', () => {
    expectCode(() => decodeUpdate(valid, { maxBytes: valid.length - 1 }), 'OVERSIZE');
    const garbage = new Uint8Array(9 * 1024 * 1024); // over the 8 MiB default, not even a valid magic
    expectCode(() => decodeUpdate(garbage), 'OVERSIZE');
    expectCode(() => decodeUpdate(valid, { maxDim: 1 }), 'OVERSIZE');
    expectCode(
      () => decodeUpdate(build(header({ length: 2 ** 40 }), new Uint8Array(0))),
      'OVERSIZE',
    );
  });

  it('TRUNCATED: short prefix or short body', () => {
    expectCode(() => decodeUpdate(valid.subarray(0, 13)), 'TRUNCATED');
    expectCode(() => decodeUpdate(valid.subarray(0, valid.length - 1)), 'TRUNCATED');
  });

  it('TRAILING_BYTES', () => {
    expectCode(() => decodeUpdate(build(header(), f32Body(1, 2, 3))), 'TRAILING_BYTES');
  });

  it('BAD_MAGIC and UNSUPPORTED_VERSION', () => {
    expectCode(
      () => decodeUpdate(build(header(), f32Body(1, 2), { magic: 'PRVCATLG' })),
      'BAD_MAGIC',
    );
    expectCode(
      () => decodeUpdate(build(header(), f32Body(1, 2), { version: 2 })),
      'UNSUPPORTED_VERSION',
    );
    expectCode(
      () => decodeUpdate(build(header(), f32Body(1, 2), { version: 0 })),
      'UNSUPPORTED_VERSION',
    );
  });

  it('LENGTH_OVERFLOW: header length beyond the input', () => {
    const bytes = valid.slice();
    new DataView(bytes.buffer).setUint32(10, 0xffffffff, true);
    expectCode(() => decodeUpdate(bytes), 'LENGTH_OVERFLOW');
  });

  it('BAD_HEADER: unknown fields, missing fields, bad nonce, scale rules, JSON, alignment', () => {
    const cases: [string, Uint8Array][] = [
      ['extra field', build(header({ deviceId: 'x' }), f32Body(1, 2))],
      ['extra field timestamp', build(header({ timestamp: 1 }), f32Body(1, 2))],
      ['missing nonce', build({ ...header(), nonce: undefined }, f32Body(1, 2))],
      ['bad nonce', build(header({ nonce: 'not-a-nonce' }), f32Body(1, 2))],
      ['padded nonce', build(header({ nonce: `${NONCE}==` }), f32Body(1, 2))],
      ['unknown encoding', build(header({ encoding: 'f64' }), f32Body(1, 2))],
      ['scale with f32', build(header({ scale: 1 }), f32Body(1, 2))],
      [
        'int8 without scale',
        build(header({ encoding: 'int8' }), Int8Array.of(1, 2) as unknown as Uint8Array),
      ],
      ['roundId string', build(header({ roundId: '3' }), f32Body(1, 2))],
      ['not JSON', build('{roundId: 3}', f32Body(1, 2))],
      ['JSON array', build('[]', f32Body(1, 2))],
      ['duplicate key', build('{"roundId":3,"roundId":4}', f32Body(1, 2))],
    ];
    for (const [name, bytes] of cases) {
      expect(expectCode(() => decodeUpdate(bytes), 'BAD_HEADER').message, name).toBeTruthy();
    }
    const misaligned = valid.slice();
    new DataView(misaligned.buffer).setUint32(
      10,
      new DataView(valid.buffer).getUint32(10, true) - 1,
      true,
    );
    expectCode(() => decodeUpdate(misaligned), 'BAD_HEADER');
  });

  it('OUT_OF_RANGE: negative ids, negative scale, int8 -128', () => {
    expectCode(() => decodeUpdate(build(header({ roundId: -1 }), f32Body(1, 2))), 'OUT_OF_RANGE');
    expectCode(
      () => decodeUpdate(build(header({ encoding: 'int8', scale: -1 }), new Uint8Array(2))),
      'OUT_OF_RANGE',
    );
    expectCode(
      () => decodeUpdate(build(header({ encoding: 'int8', scale: 1 }), Uint8Array.of(0x80, 1))),
      'OUT_OF_RANGE',
    );
  });

  it('DIM_MISMATCH: length differs from the expected parameter count', () => {
    expectCode(() => decodeUpdate(valid, { expectedLength: 3 }), 'DIM_MISMATCH');
  });

  it('NON_FINITE: NaN/Inf in f32 or f16 bodies, or an overflowing int8 scale', () => {
    expectCode(() => decodeUpdate(build(header(), f32Body(1, NaN))), 'NON_FINITE');
    expectCode(() => decodeUpdate(build(header(), f32Body(-Infinity, 0))), 'NON_FINITE');
    expectCode(
      () =>
        decodeUpdate(
          build(header({ encoding: 'f16' }), new Uint8Array(Uint16Array.of(0x3c00, 0x7c00).buffer)),
        ),
      'NON_FINITE',
    );
    expectCode(
      () => decodeUpdate(build(header({ encoding: 'int8', scale: 1e300 }), Uint8Array.of(1, 1))),
      'NON_FINITE',
    );
  });

  it('random bytes, mutations and truncations only ever yield documented codes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectCleanOutcome(decodeUpdate, bytes, UPDATE_CODES);
        const withMagic = bytes.slice();
        withMagic.set(
          new TextEncoder().encode(UPDATE_MAGIC).subarray(0, Math.min(8, bytes.length)),
        );
        expectCleanOutcome(decodeUpdate, withMagic, UPDATE_CODES);
      }),
      { numRuns: 500 },
    );
    for (const encoding of ['f32', 'f16', 'int8'] as const) {
      const bytes = encodeUpdate(
        { roundId: 9, projectorVersion: 4, vector: Float32Array.of(0.25, -0.5, 1, 0) },
        { encoding },
      );
      fc.assert(
        fc.property(mutationArbitrary(bytes.length), (mutate) => {
          expectCleanOutcome(
            (b) => decodeUpdate(b, { expectedLength: 4 }),
            mutate(bytes),
            UPDATE_CODES,
          );
        }),
        { numRuns: 500 },
      );
      expectEveryTruncationRejected(decodeUpdate, bytes, UPDATE_CODES);
    }
  });
});

describe('masked upload (distributed mode)', () => {
  const bits = 20;
  const header = { roundId: 3, projectorVersion: 2, nonce: generateNonce() };

  it('round-trips words below 2^bits exactly, for any length and content', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { minLength: 1, maxLength: 300 }),
        (values) => {
          const words = Uint32Array.from(values);
          const bytes = encodeMaskedUpdate({ ...header, words }, bits);
          expect(bytes.byteLength).toBeLessThanOrEqual(maxUpdateBytes(words.length, 'masked'));
          const decoded = decodeMaskedUpdate(bytes, { bits, expectedLength: words.length });
          expect(decoded.words).toEqual(words);
          expect(decoded.header).toEqual({ ...header, encoding: 'masked', length: words.length });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('OUT_OF_RANGE for a word at or above the modulus, on both sides', () => {
    const words = Uint32Array.from([1, 2 ** bits]);
    expectCode(() => encodeMaskedUpdate({ ...header, words }, bits), 'OUT_OF_RANGE');
    const wide = encodeMaskedUpdate({ ...header, words }, 32);
    expectCode(() => decodeMaskedUpdate(wide, { bits }), 'OUT_OF_RANGE');
  });

  it('OUT_OF_RANGE names the first word at or above the modulus, wherever it lies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((length) =>
          fc.tuple(
            fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), {
              minLength: length,
              maxLength: length,
            }),
            fc.nat(length - 1),
            fc.integer({ min: 2 ** bits, max: 2 ** 32 - 1 }),
          ),
        ),
        ([values, at, wide]) => {
          const words = Uint32Array.from(values);
          words[at] = wide;
          const bytes = encodeMaskedUpdate({ ...header, words }, 32);
          expect(() => decodeMaskedUpdate(bytes, { bits })).toThrow(
            `masked word ${at} is ${wide}, not below the modulus 2^${bits}`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the float decoder refuses masked words, and the masked decoder float vectors', () => {
    const masked = encodeMaskedUpdate({ ...header, words: new Uint32Array(4) }, bits);
    expectCode(() => decodeUpdate(masked), 'BAD_HEADER');
    const float = encodeUpdate(
      { roundId: 3, projectorVersion: 2, vector: new Float32Array(4) },
      { encoding: 'f32' },
    );
    expectCode(() => decodeMaskedUpdate(float, { bits }), 'BAD_HEADER');
  });
});
