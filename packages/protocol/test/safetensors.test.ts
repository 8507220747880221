import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SAFETENSORS_DTYPES,
  decodeSafetensors,
  encodeSafetensors,
  type ProtocolErrorCode,
  type SafetensorsDtype,
  type Tensor,
} from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  mutationArbitrary,
} from './helpers.js';

const SAFETENSORS_CODES: readonly ProtocolErrorCode[] = [
  'TRUNCATED',
  'LENGTH_OVERFLOW',
  'OVERSIZE',
  'BAD_HEADER',
  'DIM_MISMATCH',
  'TRAILING_BYTES',
  'OUT_OF_RANGE',
];

/** Builds a file byte by byte from the spec: u64 LE length, header padded with spaces, data. */
function build(header: string, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const bytes = new Uint8Array(8 + n + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + n);
  bytes.set(data, 8 + n);
  return bytes;
}

function f32Bytes(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

describe('safetensors fixtures written from the spec', () => {
  const header =
    '{"__metadata__":{"framework":"privads"},"weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const fixture = build(header, f32Bytes(1.5, -2));

  it('decodes a hand-built file with one F32 tensor and metadata', () => {
    expect(fixture.length % 8).toBe(0);
    const file = decodeSafetensors(fixture);
    expect(file.metadata).toEqual({ framework: 'privads' });
    expect(Object.keys(file.tensors)).toEqual(['weight']);
    const weight = file.tensors.weight;
    expect(weight?.dtype).toBe('F32');
    expect(weight?.shape).toEqual([2]);
    expect(weight?.data).toBeInstanceOf(Float32Array);
    expect(Array.from(weight?.data as Float32Array)).toEqual([1.5, -2]);
  });

  it('encodes the same tensor to exactly the hand-built bytes', () => {
    const out = encodeSafetensors(
      { weight: { dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) } },
      { framework: 'privads' },
    );
    expect(Array.from(out)).toEqual(Array.from(fixture));
  });

  it('orders tensors like the reference: dtype alignment descending, then name; metadata keys sorted', () => {
    const out = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [2], data: Uint8Array.of(7, 8) },
        c: { dtype: 'F32', shape: [1], data: Float32Array.of(3) },
        a: { dtype: 'F32', shape: [1], data: Float32Array.of(2) },
        d: { dtype: 'I64', shape: [], data: BigInt64Array.of(-1n) },
      },
      { z: '1', a: '2' },
    );
    const data = new Uint8Array([
      ...new Uint8Array(BigInt64Array.of(-1n).buffer),
      ...f32Bytes(2, 3),
      7,
      8,
    ]);
    const expected = build(
      '{"__metadata__":{"a":"2","z":"1"},' +
        '"d":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"c":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"b":{"dtype":"U8","shape":[2],"data_offsets":[16,18]}}',
      data,
    );
    expect(Array.from(out)).toEqual(Array.from(expected));
  });

  it("matches the reference implementation's published serialisation test vectors", () => {
    // huggingface/safetensors tensor.rs `test_serialization`: "attn.0", F32 [1,2,3], values 0..5.
    const attn = encodeSafetensors({
      'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) },
    });
    expect(Array.from(attn)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121,
      112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50,
      44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48,
      44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64,
      0, 0, 160, 64,
    ]);
    // `test_empty`: no tensors, with and without metadata.
    expect(Array.from(encodeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58,
      123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32,
      32, 32, 32, 32,
    ]);
  });

  it('accepts unpadded headers, any tensor order in the JSON, empty tensors and scalars', () => {
    const file = decodeSafetensors(
      build(
        '{"s":{"dtype":"F64","shape":[],"data_offsets":[4,12]},"e":{"dtype":"I32","shape":[0,3],"data_offsets":[0,0]},' +
          '"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}',
        new Uint8Array([
          0x00,
          0x3c,
          0x00,
          0xc0,
          ...new Uint8Array(Float64Array.of(Math.PI).buffer),
        ]),
        false,
      ),
    );
    expect(Array.from(file.tensors.h?.data as Uint16Array)).toEqual([0x3c00, 0xc000]);
    expect(Array.from(file.tensors.s?.data as Float64Array)).toEqual([Math.PI]);
    expect((file.tensors.e?.data as Int32Array).length).toBe(0);
    expect(file.metadata).toEqual({});
  });

  it('keeps hostile names as plain own keys', () => {
    const out = encodeSafetensors({
      ['__proto__']: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) },
    });
    const file = decodeSafetensors(out);
    expect(Object.keys(file.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(file.tensors)).toBe(Object.prototype);
  });
});

describe('safetensors validation', () => {
  const one = (extra = '', offsets = '[0,8]', shape = '[2]', dtype = 'F32') =>
    `{"w":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}${extra}}}`;

  it('TRUNCATED: fewer than 8 bytes, or a buffer shorter than the tensors', () => {
    expectCode(() => decodeSafetensors(new Uint8Array(7)), 'TRUNCATED');
    expectCode(() => decodeSafetensors(build(one(), f32Bytes(1))), 'TRUNCATED');
  });

  it('LENGTH_OVERFLOW: header length beyond the file, absurd, or shapes that overflow', () => {
    const bytes = build(one(), f32Bytes(1, 2));
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(bytes.length - 7), true);
    expectCode(() => decodeSafetensors(bytes), 'LENGTH_OVERFLOW');
    view.setBigUint64(0, 0xffffffffffffffffn, true);
    expectCode(() => decodeSafetensors(bytes), 'LENGTH_OVERFLOW');
    expectCode(
      () => decodeSafetensors(build(one('', '[0,8]', '[4294967296,4294967296,4294967296]'))),
      'LENGTH_OVERFLOW',
    );
  });

  it('OVERSIZE: file, header, tensor count and rank limits', () => {
    const bytes = build(one(), f32Bytes(1, 2));
    expectCode(() => decodeSafetensors(bytes, { maxBytes: bytes.length - 1 }), 'OVERSIZE');
    expect(() => decodeSafetensors(bytes, { maxBytes: bytes.length })).not.toThrow();
    expectCode(() => decodeSafetensors(bytes, { maxHeaderBytes: 8 }), 'OVERSIZE');
    expectCode(() => decodeSafetensors(bytes, { maxCount: 0 }), 'OVERSIZE');
    expectCode(
      () => decodeSafetensors(build(one('', '[0,8]', '[1,1,2]'), f32Bytes(1, 2)), { maxDim: 2 }),
      'OVERSIZE',
    );
    expect(() => decodeSafetensors(bytes, { maxBytes: -1 })).toThrow(RangeError);
  });

  it('BAD_HEADER: JSON, UTF-8, schema, duplicates, holes and overlaps', () => {
    const data = f32Bytes(1, 2);
    const cases: [string, Uint8Array][] = [
      ['invalid JSON', build('{"w":', data)],
      ['not starting with {', build(` ${one()}`, data)],
      ['array header', build('[1]', data)],
      [
        'duplicate key',
        build(
          `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
          data,
        ),
      ],
      ['duplicate inner key', build(one(',"dtype":"F32"'), data)],
      ['unknown dtype', build(one('', '[0,8]', '[2]', 'F8_E4M3'), data)],
      ['unknown field', build(one(',"extra":1'), data)],
      ['negative dim', build(one('', '[0,8]', '[-2]'), data)],
      ['fractional dim', build(one('', '[0,8]', '[2.5]'), data)],
      ['reversed offsets', build(one('', '[8,0]'), data)],
      ['three offsets', build(one('', '[0,8,8]'), data)],
      ['metadata not strings', build('{"__metadata__":{"a":1}}')],
      ['metadata not object', build('{"__metadata__":"x"}')],
      [
        'overlap',
        build(
          '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
          data,
        ),
      ],
      ['hole', build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data)],
    ];
    for (const [name, bytes] of cases) {
      expect(expectCode(() => decodeSafetensors(bytes), 'BAD_HEADER').message, name).toBeTruthy();
    }
    const invalidUtf8 = build(one(), data);
    invalidUtf8[12] = 0xff;
    expectCode(() => decodeSafetensors(invalidUtf8), 'BAD_HEADER');
  });

  it('DIM_MISMATCH: offsets disagree with shape × dtype size', () => {
    expectCode(
      () => decodeSafetensors(build(one('', '[0,8]', '[3]'), f32Bytes(1, 2))),
      'DIM_MISMATCH',
    );
    expectCode(
      () => decodeSafetensors(build(one('', '[0,8]', '[2]', 'F64'), f32Bytes(1, 2))),
      'DIM_MISMATCH',
    );
    expectCode(
      () => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2) } }),
      'DIM_MISMATCH',
    );
  });

  it('TRAILING_BYTES: data beyond the last tensor', () => {
    expectCode(() => decodeSafetensors(build(one(), f32Bytes(1, 2, 3))), 'TRAILING_BYTES');
  });

  it('OUT_OF_RANGE: BOOL bytes other than 0/1', () => {
    const bool = '{"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}';
    expect(
      Array.from(decodeSafetensors(build(bool, Uint8Array.of(1, 0))).tensors.b?.data as Uint8Array),
    ).toEqual([1, 0]);
    expectCode(() => decodeSafetensors(build(bool, Uint8Array.of(1, 2))), 'OUT_OF_RANGE');
  });

  it('rejects the reserved name when encoding', () => {
    expectCode(
      () =>
        encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }),
      'BAD_HEADER',
    );
  });
});

const dtypeArbitrary = fc.constantFrom(...SAFETENSORS_DTYPES);

function tensorArbitrary(dtype: SafetensorsDtype): fc.Arbitrary<Tensor> {
  return fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = fc.uint8Array({ minLength: n * 8, maxLength: n * 8 });
    return bytes.map((raw) => {
      const buffer = raw.buffer.slice(0, n * 8);
      const data = (() => {
        switch (dtype) {
          case 'BOOL':
            return new Uint8Array(n).map((_, i) => (raw[i] ?? 0) & 1);
          case 'U8':
            return new Uint8Array(buffer, 0, n);
          case 'I8':
            return new Int8Array(buffer, 0, n);
          case 'I16':
            return new Int16Array(buffer, 0, n);
          case 'U16':
          case 'F16':
          case 'BF16':
            return new Uint16Array(buffer, 0, n);
          case 'I32':
            return new Int32Array(buffer, 0, n);
          case 'U32':
            return new Uint32Array(buffer, 0, n);
          case 'F32':
            return new Float32Array(buffer, 0, n);
          case 'F64':
            return new Float64Array(buffer, 0, n);
          case 'I64':
            return new BigInt64Array(buffer, 0, n);
          case 'U64':
            return new BigUint64Array(buffer, 0, n);
        }
      })();
      return { dtype, shape, data } as Tensor;
    });
  });
}

const tensorsArbitrary = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'),
  dtypeArbitrary.chain(tensorArbitrary),
  { maxKeys: 5 },
);
const metadataArbitrary = fc.option(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 })),
  {
    nil: undefined,
  },
);

const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('safetensors properties', () => {
  it('decode(encode(x)) = x bit for bit, for every dtype; encoding is canonical', () => {
    fc.assert(
      fc.property(tensorsArbitrary, metadataArbitrary, (tensors, metadata) => {
        const bytes = encodeSafetensors(tensors, metadata);
        expect(new DataView(bytes.buffer).getUint32(0, true) % 8).toBe(0);
        const file = decodeSafetensors(bytes);
        expect(file.metadata).toEqual(metadata ?? {});
        expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, tensor] of Object.entries(tensors)) {
          const got = file.tensors[name] as Tensor;
          expect(got.dtype).toBe(tensor.dtype);
          expect(got.shape).toEqual(tensor.shape);
          expect(got.data.constructor).toBe(tensor.data.constructor);
          expect(Array.from(bytesOf(got))).toEqual(Array.from(bytesOf(tensor)));
        }
        expect(Array.from(encodeSafetensors(file.tensors, metadata))).toEqual(Array.from(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes and mutated files never throw anything but documented ProtocolErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expectCleanOutcome(decodeSafetensors, bytes, SAFETENSORS_CODES);
      }),
      { numRuns: 500 },
    );
    const valid = encodeSafetensors(
      {
        a: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
        b: { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      },
      { k: 'v' },
    );
    fc.assert(
      fc.property(mutationArbitrary(valid.length), (mutate) => {
        expectCleanOutcome(decodeSafetensors, mutate(valid), SAFETENSORS_CODES);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every truncation', () => {
    const valid = encodeSafetensors(
      { a: { dtype: 'I32', shape: [3], data: Int32Array.of(1, -2, 3) } },
      { x: 'y' },
    );
    const codes = expectEveryTruncationRejected(decodeSafetensors, valid, SAFETENSORS_CODES);
    expect([...codes].sort()).toEqual(['LENGTH_OVERFLOW', 'TRUNCATED']);
  });
});
