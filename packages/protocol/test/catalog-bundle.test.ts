import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkCatalogBundleSize,
  contentRange,
  contentRows,
  crc32c,
  decodeCatalogBundle,
  dequantizeRowsInt8,
  encodeCatalogBundle,
  f16BitsToF32,
  f32ToF16Bits,
  type AdMetadata,
  type Catalog,
  type CatalogBundleHeader,
  type ProjectedEncoding,
  type QuantizedContent,
} from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  mutationArbitrary,
  SECTIONED_FORMAT_CODES,
} from './helpers.js';

const CATALOG_CODES = SECTIONED_FORMAT_CODES;

const CREATED = '2025-06-01T12:00:00.000Z';

function ad(i: number, extra: Partial<AdMetadata> = {}): AdMetadata {
  return {
    id: `ad-${i}`,
    title: `Ad number ${i} — ünïcode`,
    url: `https://example.com/ads/${i}?utm=x`,
    advertiser: `adv-${i % 3}`,
    category: 'news',
    ...extra,
  };
}

function catalog(
  count: number,
  userDim = 4,
  contentDim = 6,
  seed = 1,
): Catalog & { content: Float32Array } {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return {
    catalogVersion: 7,
    projectorVersion: 3,
    encoderId: 'privads-default-384@1',
    contentDim,
    userDim,
    projected: Float32Array.from({ length: count * userDim }, next),
    content: Float32Array.from({ length: count * contentDim }, next),
    ads: Array.from({ length: count }, (_, i) =>
      ad(i, i === 0 ? { imageUrl: 'https://cdn.example.com/a.png' } : {}),
    ),
    createdAt: CREATED,
  };
}

/** Reads the JSON header and body of a bundle using only the documented layout. */
function parts(bytes: Uint8Array): { header: CatalogBundleHeader; bodyStart: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = view.getUint32(10, true);
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(14, 14 + n))) as CatalogBundleHeader,
    bodyStart: 14 + n,
  };
}

/** Rewrites the header of a bundle (re-padding it) and optionally fixes the checksum. */
function withHeader(
  bytes: Uint8Array,
  edit: (h: CatalogBundleHeader) => object,
  body?: Uint8Array,
): Uint8Array {
  const { header, bodyStart } = parts(bytes);
  const newBody = body ?? bytes.subarray(bodyStart);
  const json = new TextEncoder().encode(JSON.stringify(edit(header)));
  const start = Math.ceil((14 + json.length) / 8) * 8;
  const out = new Uint8Array(start + newBody.length);
  out.set(bytes.subarray(0, 10));
  new DataView(out.buffer).setUint32(10, start - 14, true);
  out.set(json, 14);
  out.fill(0x20, 14 + json.length, start);
  out.set(newBody, start);
  return out;
}
const checksumOf = (body: Uint8Array) => `crc32c:${crc32c(body).toString(16).padStart(8, '0')}`;

describe('catalog bundle layout', () => {
  it('writes the documented prefix, header and aligned sections', () => {
    const c = catalog(3);
    const bytes = encodeCatalogBundle(c, { projectedEncoding: 'int8' });
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('PRVCATLG');
    expect(new DataView(bytes.buffer).getUint16(8, true)).toBe(1);
    const { header, bodyStart } = parts(bytes);
    expect(bodyStart % 8).toBe(0);
    expect(header).toMatchObject({
      catalogVersion: 7,
      projectorVersion: 3,
      encoderId: 'privads-default-384@1',
      contentDim: 6,
      userDim: 4,
      count: 3,
      projectedEncoding: 'int8',
      contentEncoding: 'f16',
      createdAt: CREATED,
    });
    expect(Object.keys(header).sort()).toEqual(
      [
        'bodyLength',
        'catalogVersion',
        'checksum',
        'contentDim',
        'contentEncoding',
        'count',
        'createdAt',
        'encoderId',
        'projectedEncoding',
        'projectorVersion',
        'sections',
        'userDim',
      ].sort(),
    );
    const { sections } = header;
    expect(sections.projectedScales).toEqual({ offset: 0, length: 12 });
    expect(sections.projected).toEqual({ offset: 16, length: 12 });
    expect(sections.content).toEqual({ offset: 32, length: 36 });
    expect(sections.ads.offset).toBe(72);
    const body = bytes.subarray(bodyStart);
    expect(body.length).toBe(header.bodyLength);
    expect(header.checksum).toBe(checksumOf(body));
    // Sections read by hand from the documented offsets match the decoder.
    const view = new DataView(body.buffer, body.byteOffset);
    const decoded = decodeCatalogBundle(bytes);
    if (decoded.projected.encoding !== 'int8') throw new Error('expected int8');
    expect(view.getFloat32(4, true)).toBe(decoded.projected.scales[1]);
    expect(view.getInt8(16 + 5)).toBe(decoded.projected.values[5]);
    expect(decoded.content.encoding).toBe('f32');
    expect(f16BitsToF32(view.getUint16(32 + 2 * 7, true))).toBe(
      contentRows(decoded.content, 3, [2])[1],
    );
    const adsJson = new TextDecoder().decode(
      body.subarray(sections.ads.offset, sections.ads.offset + sections.ads.length),
    );
    expect(JSON.parse(adsJson)).toEqual(c.ads);
  });

  it('is deterministic for a given catalog', () => {
    const c = catalog(5);
    expect(Array.from(encodeCatalogBundle(c))).toEqual(Array.from(encodeCatalogBundle(c)));
  });
});

describe('catalog bundle round trip', () => {
  const encodings: ProjectedEncoding[] = ['int8', 'f16', 'f32'];

  it('restores ads and header exactly, f32 exactly, f16 within rounding, int8 within one step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(),
        fc.constantFrom(...encodings),
        (count, userDim, contentDim, seed, projectedEncoding) => {
          const c = catalog(count, userDim, contentDim, seed);
          const d = decodeCatalogBundle(encodeCatalogBundle(c, { projectedEncoding }));
          expect(d.ads).toEqual(c.ads);
          expect(d.header.count).toBe(count);
          expect(d.header.projectedEncoding).toBe(projectedEncoding);
          expect(d.content.encoding).toBe('f32');
          expect(Array.from(contentRange(d.content, contentDim, 0, count))).toEqual(
            Array.from(c.content, (x) => f16BitsToF32(f32ToF16Bits(x))),
          );
          if (projectedEncoding === 'int8') {
            expect(d.projected.encoding).toBe('int8');
            if (d.projected.encoding !== 'int8') return;
            const back = dequantizeRowsInt8(d.projected, userDim);
            c.projected.forEach((x, i) => {
              const scale =
                d.projected.encoding === 'int8'
                  ? (d.projected.scales[Math.floor(i / userDim)] ?? 0)
                  : 0;
              expect(Math.abs((back[i] ?? 0) - x)).toBeLessThanOrEqual(scale / 2 + 1e-7);
            });
          } else {
            expect(d.projected.encoding).toBe('f32');
            const expected =
              projectedEncoding === 'f32'
                ? Array.from(c.projected)
                : Array.from(c.projected, (x) => f16BitsToF32(f32ToF16Bits(x)));
            expect(Array.from(d.projected.values)).toEqual(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('handles the default dims (384 / 128) and an empty catalog', () => {
    const big = catalog(20, 128, 384);
    const d = decodeCatalogBundle(encodeCatalogBundle(big, { projectedEncoding: 'f32' }));
    expect(Array.from(d.projected.values)).toEqual(Array.from(big.projected));
    expect(decodeCatalogBundle(encodeCatalogBundle(catalog(0))).ads).toEqual([]);
  });
});

describe('catalog bundle validation (one test per code)', () => {
  const valid = encodeCatalogBundle(catalog(3));
  const { bodyStart } = parts(valid);
  const body = valid.subarray(bodyStart);

  it('OVERSIZE: bytes, count and dim limits', () => {
    expectCode(() => decodeCatalogBundle(valid, { maxBytes: valid.length - 1 }), 'OVERSIZE');
    expectCode(() => decodeCatalogBundle(valid, { maxCount: 2 }), 'OVERSIZE');
    expectCode(() => decodeCatalogBundle(valid, { maxDim: 5 }), 'OVERSIZE');
    expectCode(() => decodeCatalogBundle(valid, { maxHeaderBytes: 64 }), 'OVERSIZE');
  });

  it('TRUNCATED, TRAILING_BYTES', () => {
    expectCode(() => decodeCatalogBundle(valid.subarray(0, 10)), 'TRUNCATED');
    expectCode(() => decodeCatalogBundle(valid.subarray(0, valid.length - 1)), 'TRUNCATED');
    const longer = new Uint8Array(valid.length + 8);
    longer.set(valid);
    expectCode(() => decodeCatalogBundle(longer), 'TRAILING_BYTES');
  });

  it('BAD_MAGIC, UNSUPPORTED_VERSION, LENGTH_OVERFLOW', () => {
    const magic = valid.slice();
    magic[0] = 0x58;
    expectCode(() => decodeCatalogBundle(magic), 'BAD_MAGIC');
    const version = valid.slice();
    new DataView(version.buffer).setUint16(8, 2, true);
    expectCode(() => decodeCatalogBundle(version), 'UNSUPPORTED_VERSION');
    const overflow = valid.slice();
    new DataView(overflow.buffer).setUint32(10, valid.length, true);
    expectCode(() => decodeCatalogBundle(overflow), 'LENGTH_OVERFLOW');
  });

  it('CHECKSUM_MISMATCH: any flipped body byte', () => {
    for (const at of [0, 13, body.length - 1]) {
      const flipped = valid.slice();
      flipped[bodyStart + at] = (flipped[bodyStart + at] ?? 0) ^ 0x10;
      expectCode(() => decodeCatalogBundle(flipped), 'CHECKSUM_MISMATCH');
    }
  });

  it('DIM_MISMATCH: count or dims that disagree with sections or ads', () => {
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, count: 4 }))),
      'DIM_MISMATCH',
    );
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, userDim: 5 }))),
      'DIM_MISMATCH',
    );
    // Consistent sections for 2 rows, but the ads array still lists 3.
    const two = catalog(2);
    const twoBytes = encodeCatalogBundle(two);
    const { header: h2, bodyStart: b2 } = parts(twoBytes);
    const threeAds = new TextEncoder().encode(JSON.stringify(catalog(3).ads));
    const newBody = new Uint8Array(h2.sections.ads.offset + threeAds.length);
    newBody.set(twoBytes.subarray(b2, b2 + h2.sections.ads.offset));
    newBody.set(threeAds, h2.sections.ads.offset);
    const forged = withHeader(
      twoBytes,
      (h) => ({
        ...h,
        sections: {
          ...h.sections,
          ads: { offset: h.sections.ads.offset, length: threeAds.length },
        },
        bodyLength: newBody.length,
        checksum: checksumOf(newBody),
      }),
      newBody,
    );
    expectCode(() => decodeCatalogBundle(forged), 'DIM_MISMATCH');
    expectCode(
      () => encodeCatalogBundle({ ...catalog(3), projected: new Float32Array(11) }),
      'DIM_MISMATCH',
    );
    expectCode(
      () => encodeCatalogBundle({ ...catalog(3), content: new Float32Array(19) }),
      'DIM_MISMATCH',
    );
  });

  it('BAD_HEADER: unknown fields, wrong types, moved sections, invalid ads', () => {
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, extra: 1 }))),
      'BAD_HEADER',
    );
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, count: '3' }))),
      'BAD_HEADER',
    );
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, projectedEncoding: 'int4' }))),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        decodeCatalogBundle(
          withHeader(valid, (h) => ({ ...h, createdAt: '2025-02-30T00:00:00Z' })),
        ),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, createdAt: '2025-06-01T12:00:00' }))),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        decodeCatalogBundle(
          withHeader(valid, (h) => ({
            ...h,
            sections: { ...h.sections, content: { ...h.sections.content, offset: 40 } },
          })),
        ),
      'BAD_HEADER',
    );
    expectCode(
      () => decodeCatalogBundle(withHeader(valid, (h) => ({ ...h, bodyLength: h.bodyLength + 8 }))),
      'BAD_HEADER',
    );
    const badAds: [string, Partial<AdMetadata> | Record<string, unknown>][] = [
      ['javascript url', { url: 'javascript:alert(1)' }],
      ['relative url', { url: '/ads/1' }],
      ['image data url', { imageUrl: 'data:image/png;base64,AAAA' }],
      ['empty id', { id: '' }],
      ['extra field', { tracking: 'x' }],
      ['numeric title', { title: 5 }],
    ];
    for (const [name, extra] of badAds) {
      const c = catalog(2);
      expect(
        expectCode(
          () => encodeCatalogBundle({ ...c, ads: [ad(0, extra as Partial<AdMetadata>), ad(1)] }),
          'BAD_HEADER',
        ).message,
        name,
      ).toBeTruthy();
    }
    expectCode(() => encodeCatalogBundle({ ...catalog(2), ads: [ad(0), ad(0)] }), 'BAD_HEADER');
  });

  it('NON_FINITE and OUT_OF_RANGE values', () => {
    const nan = catalog(2);
    nan.projected[3] = NaN;
    for (const projectedEncoding of ['int8', 'f16', 'f32'] as const) {
      expectCode(() => encodeCatalogBundle(nan, { projectedEncoding }), 'NON_FINITE');
    }
    const inf = catalog(2);
    inf.content[0] = 1e6; // beyond float16
    expectCode(() => encodeCatalogBundle(inf), 'NON_FINITE');
    // A NaN written into a valid f32 bundle with a recomputed checksum is caught on decode.
    const f32 = encodeCatalogBundle(catalog(2), { projectedEncoding: 'f32' });
    const { header, bodyStart: start } = parts(f32);
    const patched = f32.slice(start);
    new DataView(patched.buffer).setFloat32(header.sections.projected.offset + 4, NaN, true);
    expectCode(
      () =>
        decodeCatalogBundle(
          withHeader(f32, (h) => ({ ...h, checksum: checksumOf(patched) }), patched),
        ),
      'NON_FINITE',
    );
    // int8 value -128 is outside the symmetric range.
    const { header: hi, bodyStart: si } = parts(valid);
    const int8Body = valid.slice(si);
    int8Body[(hi.sections.projected.offset ?? 0) + 1] = 0x80;
    expectCode(
      () =>
        decodeCatalogBundle(
          withHeader(valid, (h) => ({ ...h, checksum: checksumOf(int8Body) }), int8Body),
        ),
      'OUT_OF_RANGE',
    );
    expectCode(() => encodeCatalogBundle({ ...catalog(1), catalogVersion: -1 }), 'OUT_OF_RANGE');
  });

  it('random bytes, mutations and truncations only ever yield documented codes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const withMagic = bytes.slice();
        withMagic.set(
          new TextEncoder().encode('PRVCATLG\u0001\u0000').subarray(0, Math.min(10, bytes.length)),
        );
        expectCleanOutcome(decodeCatalogBundle, bytes, CATALOG_CODES);
        expectCleanOutcome(decodeCatalogBundle, withMagic, CATALOG_CODES);
      }),
      { numRuns: 500 },
    );
    for (const projectedEncoding of ['int8', 'f16', 'f32'] as const) {
      const bytes = encodeCatalogBundle(catalog(3), { projectedEncoding });
      fc.assert(
        fc.property(mutationArbitrary(bytes.length), (mutate) => {
          expectCleanOutcome(decodeCatalogBundle, mutate(bytes), CATALOG_CODES);
        }),
        { numRuns: 400 },
      );
      expectEveryTruncationRejected(decodeCatalogBundle, bytes, CATALOG_CODES);
    }
  });
});

describe('catalog bundle popularity section', () => {
  const withPopularity = (
    c: Catalog,
    clicks: Float32Array,
    impressions: Float32Array,
  ): Catalog => ({
    ...c,
    popularity: { clicks, impressions, weight: 0.3, smoothing: 2, rounds: 5, sigma: 1.5 },
  });

  it('round-trips the released counts and the prior settings after the ads section', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.constantFrom<ProjectedEncoding>('int8', 'f16', 'f32'),
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: 24,
          maxLength: 24,
        }),
        (count, encoding, values) => {
          const clicks = Float32Array.from(values.slice(0, count));
          const impressions = Float32Array.from(values.slice(12, 12 + count));
          const bytes = encodeCatalogBundle(withPopularity(catalog(count), clicks, impressions), {
            projectedEncoding: encoding,
          });
          const decoded = decodeCatalogBundle(bytes);
          expect(Array.from(decoded.popularity?.clicks ?? [])).toEqual(Array.from(clicks));
          expect(Array.from(decoded.popularity?.impressions ?? [])).toEqual(
            Array.from(impressions),
          );
          expect(decoded.header.popularity).toEqual({
            weight: 0.3,
            smoothing: 2,
            rounds: 5,
            sigma: 1.5,
          });
          const { sections } = decoded.header;
          expect(sections.popularity?.offset).toBeGreaterThanOrEqual(
            sections.ads.offset + sections.ads.length,
          );
          expect((sections.popularity?.offset ?? 1) % 8).toBe(0);
        },
      ),
    );
  });

  it('leaves a bundle without counts byte-identical in layout (the section is additive)', () => {
    const plain = decodeCatalogBundle(encodeCatalogBundle(catalog(3)));
    expect(plain.popularity).toBeUndefined();
    expect(plain.header.sections.popularity).toBeUndefined();
    expect('popularity' in plain.header).toBe(false);
  });

  it('refuses a header whose popularity object and section disagree, and bad counts', () => {
    const bytes = encodeCatalogBundle(
      withPopularity(catalog(2), Float32Array.of(1, 2), Float32Array.of(3, 4)),
    );
    expectCode(
      () =>
        decodeCatalogBundle(
          withHeader(bytes, (h) => {
            const { popularity: _, ...rest } = h;
            return rest;
          }),
        ),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        encodeCatalogBundle(withPopularity(catalog(2), Float32Array.of(1), Float32Array.of(3, 4))),
      'DIM_MISMATCH',
    );
    expectCode(
      () =>
        encodeCatalogBundle(
          withPopularity(catalog(2), Float32Array.of(1, NaN), Float32Array.of(3, 4)),
        ),
      'NON_FINITE',
    );
  });

  it('never throws anything but a ProtocolError on mutated bundles with counts', () => {
    const bytes = encodeCatalogBundle(
      withPopularity(catalog(3), Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6)),
    );
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome(decodeCatalogBundle, mutate(bytes), CATALOG_CODES);
      }),
    );
  });
});

describe('bundle size: encode never writes what decode rejects', () => {
  it('refuses a bundle over the decoder limits, and only those', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom<ProjectedEncoding>('int8', 'f16', 'f32'),
        fc.integer({ min: 512, max: 8192 }),
        fc.integer({ min: 1, max: 50 }),
        (count, projectedEncoding, maxBytes, maxCount) => {
          const limits = { maxBytes, maxCount };
          let bytes: Uint8Array;
          try {
            bytes = encodeCatalogBundle(catalog(count), { projectedEncoding, limits });
          } catch (error) {
            expectCode(() => {
              throw error;
            }, 'OVERSIZE');
            // Refused: the same bundle encoded without the limits is one decode refuses too.
            const unlimited = encodeCatalogBundle(catalog(count), {
              projectedEncoding,
              limits: { maxBytes: 2 ** 30 },
            });
            expectCode(() => decodeCatalogBundle(unlimited, limits), 'OVERSIZE');
            return;
          }
          expect(decodeCatalogBundle(bytes, limits).header.count).toBe(count);
        },
      ),
    );
  });

  it('says, before anything is encoded, how many ads of a shape fit the 512 MiB clients decode', () => {
    // The default shape: 128-d int8 rows, 384-d f16 content vectors, ~170 bytes of metadata per ad.
    const shape = (count: number) => ({
      count,
      userDim: 128,
      contentDim: 384,
      adsByteLength: 170 * count,
      popularity: true,
    });
    const { message } = expectCode(() => checkCatalogBundleSize(shape(1_000_000)), 'OVERSIZE');
    expect(message).toMatch(/a catalog of 1000000 ads .* decoders accept at most 536870912/);
    const fit = Number(/about (\d+) ads of this shape/.exec(message)?.[1]);
    expect(fit).toBeGreaterThan(400_000);
    expect(fit).toBeLessThan(600_000);
    expect(checkCatalogBundleSize(shape(fit))).toBeLessThanOrEqual(512 * 2 ** 20);
    expectCode(() => checkCatalogBundleSize(shape(Math.ceil(fit * 1.001))), 'OVERSIZE');
    expectCode(() => checkCatalogBundleSize({ ...shape(10), contentDim: 5000 }), 'OVERSIZE');
    expectCode(() => checkCatalogBundleSize(shape(1_000_001), { maxBytes: 2 ** 40 }), 'OVERSIZE');
  });
});

describe('catalog bundle pq8 content', () => {
  /** A catalog whose content is given as codes: `subspaces` sub-spaces of a `contentDim`-d codebook. */
  function coded(count: number, contentDim: number, subspaces: number, seed = 1): Catalog {
    const base = catalog(count, 4, contentDim, seed);
    let s = seed;
    const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
    const content: QuantizedContent = {
      encoding: 'pq8',
      subspaces,
      codebook: Float32Array.from({ length: 256 * contentDim }, () => next() / 2 ** 31 - 0.5),
      codes: Uint8Array.from({ length: count * subspaces }, () => next() & 255),
    };
    return { ...base, content };
  }

  it('round-trips codes and codebook exactly, and reconstructs rows from them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.constantFrom([1, 1], [6, 1], [6, 2], [6, 3], [6, 6], [8, 4]),
        fc.nat(),
        fc.boolean(),
        (count, [contentDim, subspaces], seed, popularity) => {
          const c = coded(count, contentDim as number, subspaces as number, seed);
          const withCounts: Catalog = popularity
            ? {
                ...c,
                popularity: {
                  weight: 0.1,
                  smoothing: 1,
                  rounds: 2,
                  sigma: 0.5,
                  clicks: new Float32Array(count).fill(1),
                  impressions: new Float32Array(count).fill(3),
                },
              }
            : c;
          const d = decodeCatalogBundle(encodeCatalogBundle(withCounts));
          expect(d.header).toMatchObject({ contentEncoding: 'pq8', contentSubspaces: subspaces });
          expect(d.content).toEqual(c.content);
          expect(d.ads).toEqual(c.ads);
          const content = c.content as QuantizedContent;
          const [dim, m] = [contentDim as number, subspaces as number];
          const picked = count > 0 ? [count - 1, 0] : [];
          const rows = contentRows(d.content, dim, picked);
          picked.forEach((row, k) => {
            for (let s = 0; s < m; s++) {
              const at = (s * 256 + (content.codes[row * m + s] as number)) * (dim / m);
              const got = rows.subarray(k * dim + (s * dim) / m, k * dim + ((s + 1) * dim) / m);
              expect(got).toEqual(content.codebook.subarray(at, at + dim / m));
            }
          });
          // Re-encoding the decoded content writes the same bytes (what a round's re-projection does).
          expect(encodeCatalogBundle({ ...withCounts, content: d.content })).toEqual(
            encodeCatalogBundle(withCounts),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lays the codebook out before the codes, 48 bytes an ad at the default dimensions', () => {
    const bytes = encodeCatalogBundle(coded(3, 6, 2));
    const { header } = parts(bytes);
    expect(header.contentEncoding).toBe('pq8');
    expect(header.contentSubspaces).toBe(2);
    expect(header.sections.contentCodebook).toEqual({ offset: 32, length: 256 * 6 * 4 });
    expect(header.sections.content).toEqual({ offset: 32 + 256 * 6 * 4, length: 6 });
    // A million ads of the default shape fit the 512 MiB readers decode once content is coded.
    const million = {
      count: 1_000_000,
      userDim: 128,
      contentDim: 384,
      adsByteLength: 170 * 1_000_000,
      popularity: true,
    };
    expectCode(() => checkCatalogBundleSize(million), 'OVERSIZE');
    const body = checkCatalogBundleSize({
      ...million,
      contentEncoding: 'pq8',
      contentSubspaces: 48,
    });
    expect(body).toBeLessThan(512 * 2 ** 20);
    expect(body).toBeGreaterThan(1_000_000 * (132 + 48 + 170 + 8));
  });

  it('refuses codes that disagree with the header, and non-finite centroids', () => {
    expectCode(
      () =>
        encodeCatalogBundle({
          ...coded(3, 6, 2),
          content: { ...(coded(3, 6, 2).content as QuantizedContent), subspaces: 4 },
        }),
      'DIM_MISMATCH',
    );
    expectCode(
      () =>
        encodeCatalogBundle({
          ...coded(3, 6, 2),
          content: { ...(coded(3, 6, 2).content as QuantizedContent), codes: new Uint8Array(5) },
        }),
      'DIM_MISMATCH',
    );
    const bad = coded(3, 6, 2);
    (bad.content as QuantizedContent).codebook[7] = Number.NaN;
    expectCode(() => encodeCatalogBundle(bad), 'NON_FINITE');

    const bytes = encodeCatalogBundle(coded(3, 6, 2));
    const { bodyStart } = parts(bytes);
    const body = bytes.slice(bodyStart);
    const fixed = (edit: (h: CatalogBundleHeader) => object, b = body) =>
      withHeader(bytes, (h) => ({ ...edit(h), checksum: checksumOf(b) }), b);
    // Sub-spaces that do not divide the dimension, or a pq8 header without them, or f16 with them.
    expectCode(
      () => decodeCatalogBundle(fixed((h) => ({ ...h, contentSubspaces: 4 }))),
      'DIM_MISMATCH',
    );
    expectCode(
      () => decodeCatalogBundle(fixed((h) => ({ ...h, contentSubspaces: 3 }))),
      'DIM_MISMATCH',
    );
    const { contentSubspaces: _dropped, ...withoutSubspaces } = parts(bytes).header;
    expectCode(() => decodeCatalogBundle(fixed(() => withoutSubspaces)), 'BAD_HEADER');
    expectCode(
      () => decodeCatalogBundle(fixed((h) => ({ ...h, contentEncoding: 'f16' }))),
      'BAD_HEADER',
    );
    const nan = body.slice();
    new DataView(nan.buffer).setFloat32(32 + 4 * 9, Number.NaN, true);
    expectCode(() => decodeCatalogBundle(fixed((h) => h, nan)), 'NON_FINITE');
  });

  it('mutations and truncations of a pq8 bundle only ever yield documented codes', () => {
    const bytes = encodeCatalogBundle(coded(3, 6, 3));
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome(decodeCatalogBundle, mutate(bytes), CATALOG_CODES);
      }),
      { numRuns: 400 },
    );
    expectEveryTruncationRejected(decodeCatalogBundle, bytes, CATALOG_CODES);
  });
});
