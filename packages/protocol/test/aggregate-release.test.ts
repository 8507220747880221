import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAggregateRelease,
  decodeSafetensors,
  encodeAggregateRelease,
  encodeSafetensors,
  type AggregateReleaseMetadata,
  type ProtocolErrorCode,
} from '@privads/protocol';
import {
  expectCleanOutcome,
  expectCode,
  expectEveryTruncationRejected,
  float32Array,
  mutationArbitrary,
} from './helpers.js';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const docExample = JSON.parse(
  /```json aggregate-release\n([\s\S]*?)```/.exec(doc)?.[1] ?? 'null',
) as AggregateReleaseMetadata;

const RELEASE_CODES: readonly ProtocolErrorCode[] = [
  'TRUNCATED',
  'LENGTH_OVERFLOW',
  'OVERSIZE',
  'BAD_HEADER',
  'DIM_MISMATCH',
  'TRAILING_BYTES',
  'OUT_OF_RANGE',
  'UNSUPPORTED_VERSION',
  'NON_FINITE',
];

const meta = (extra: Partial<AggregateReleaseMetadata> = {}): AggregateReleaseMetadata => ({
  roundId: 4,
  projectorVersion: 2,
  cohortSize: 120,
  clipNorm: 1,
  mode: 'central',
  noiseMultiplier: 1.1,
  sigma: 1.1,
  epsilon: 0.4,
  delta: 1e-6,
  cumulativeEpsilon: 1.9,
  createdAt: '2025-06-01T12:00:00Z',
  ...extra,
});

describe('aggregate release', () => {
  it('round-trips the documented example with its layout', () => {
    const update = Float32Array.from({ length: 384 * 128 + 128 }, (_, i) => Math.sin(i) * 1e-3);
    const bytes = encodeAggregateRelease({ metadata: docExample, update });
    const decoded = decodeAggregateRelease(bytes);
    expect(decoded.metadata).toEqual(docExample);
    expect(Array.from(decoded.update)).toEqual(Array.from(update));
  });

  it('is a plain safetensors file: one F32 "update" tensor and three metadata strings', () => {
    const bytes = encodeAggregateRelease({ metadata: meta(), update: Float32Array.of(1, 2, 3) });
    const file = decodeSafetensors(bytes);
    expect(Object.keys(file.tensors)).toEqual(['update']);
    expect(file.tensors.update?.dtype).toBe('F32');
    expect(file.tensors.update?.shape).toEqual([3]);
    expect(Object.keys(file.metadata).sort()).toEqual(['format', 'formatVersion', 'release']);
    expect(file.metadata.format).toBe('privads.aggregate-release');
    expect(JSON.parse(file.metadata.release ?? '')).toEqual(meta());
  });

  it('round-trips arbitrary updates and modes exactly', () => {
    fc.assert(
      fc.property(
        float32Array({ maxLength: 100 }),
        fc.constantFrom('none', 'central', 'local'),
        (update, mode) => {
          const m =
            mode === 'none'
              ? meta({
                  mode,
                  epsilon: null,
                  delta: null,
                  cumulativeEpsilon: null,
                  noiseMultiplier: 0,
                  sigma: 0,
                })
              : meta({ mode });
          const decoded = decodeAggregateRelease(encodeAggregateRelease({ metadata: m, update }));
          expect(decoded.metadata).toEqual(m);
          expect(Array.from(decoded.update)).toEqual(Array.from(update));
        },
      ),
    );
  });

  it('validates metadata, layout and values', () => {
    const update = Float32Array.of(1, 2, 3, 4);
    const enc = (m: object, u = update) =>
      encodeAggregateRelease({ metadata: m as AggregateReleaseMetadata, update: u });
    expectCode(() => enc(meta({ epsilon: null })), 'BAD_HEADER');
    expectCode(() => enc(meta({ mode: 'none' })), 'BAD_HEADER');
    expectCode(() => enc({ ...meta(), userCount: 5 }), 'BAD_HEADER');
    expectCode(() => enc(meta({ cohortSize: 0 })), 'OUT_OF_RANGE');
    expectCode(() => enc(meta({ delta: 1 })), 'OUT_OF_RANGE');
    expectCode(() => enc(meta({ createdAt: 'yesterday' })), 'BAD_HEADER');
    expectCode(() => enc(meta({ layout: [{ name: 'w', shape: [2, 3] }] })), 'DIM_MISMATCH');
    expect(
      decodeAggregateRelease(enc(meta({ layout: [{ name: 'w', shape: [2, 2] }] }))).metadata.layout,
    ).toEqual([{ name: 'w', shape: [2, 2] }]);
    expectCode(() => enc(meta(), Float32Array.of(1, NaN)), 'NON_FINITE');

    const st = (tensors: Parameters<typeof encodeSafetensors>[0], m: Record<string, string>) =>
      decodeAggregateRelease(encodeSafetensors(tensors, m));
    const good = {
      format: 'privads.aggregate-release',
      formatVersion: '1',
      release: JSON.stringify(meta()),
    };
    const f32 = { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } as const;
    expect(st({ update: f32 }, good).update.length).toBe(2);
    expectCode(() => st({ update: f32 }, { ...good, formatVersion: '3' }), 'UNSUPPORTED_VERSION');
    // Version 2 is the release with per-ad counts: without them it is malformed.
    expectCode(() => st({ update: f32 }, { ...good, formatVersion: '2' }), 'BAD_HEADER');
    expectCode(() => st({ update: f32 }, { ...good, format: 'other' }), 'BAD_HEADER');
    expectCode(() => st({ update: f32 }, { ...good, extra: 'x' }), 'BAD_HEADER');
    expectCode(() => st({ update: f32, other: f32 }, good), 'BAD_HEADER');
    expectCode(() => st({ weights: f32 }, good), 'BAD_HEADER');
    expectCode(
      () => st({ update: { dtype: 'F64', shape: [1], data: Float64Array.of(1) } }, good),
      'BAD_HEADER',
    );
    expectCode(
      () => st({ update: { dtype: 'F32', shape: [1, 2], data: Float32Array.of(1, 2) } }, good),
      'BAD_HEADER',
    );
    expectCode(
      () => st({ update: { dtype: 'F32', shape: [1], data: Float32Array.of(Infinity) } }, good),
      'NON_FINITE',
    );
    expectCode(
      () => st({ update: f32 }, { ...good, release: '{"roundId":1,"roundId":2}' }),
      'BAD_HEADER',
    );
  });

  it('random mutations and truncations only ever yield documented codes', () => {
    const bytes = encodeAggregateRelease({
      metadata: meta({ layout: [{ name: 'w', shape: [3] }] }),
      update: Float32Array.of(1, -1, 0.5),
    });
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome(decodeAggregateRelease, mutate(bytes), RELEASE_CODES);
      }),
      { numRuns: 1000 },
    );
    expectEveryTruncationRejected(decodeAggregateRelease, bytes, RELEASE_CODES);
  });
});

describe('aggregate release with per-ad counts (format version 2)', () => {
  const countsMeta = {
    catalogVersion: 5,
    adCount: 3,
    maxImpressions: 20,
    maxClicks: 2,
    sigma: 12.5,
    rho: 0.01,
  };

  it('round-trips the counts tensors and metadata, and writes version 1 without them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: 6,
          maxLength: 6,
        }),
        (values) => {
          const counts = {
            impressions: Float32Array.from(values.slice(0, 3)),
            clicks: Float32Array.from(values.slice(3)),
          };
          const bytes = encodeAggregateRelease({
            metadata: meta({ counts: countsMeta }),
            update: Float32Array.of(1, 2),
            counts,
          });
          expect(decodeSafetensors(bytes).metadata.formatVersion).toBe('2');
          const decoded = decodeAggregateRelease(bytes);
          expect(decoded.metadata.counts).toEqual(countsMeta);
          expect(Array.from(decoded.counts?.impressions ?? [])).toEqual(
            Array.from(counts.impressions),
          );
          expect(Array.from(decoded.counts?.clicks ?? [])).toEqual(Array.from(counts.clicks));
        },
      ),
    );
    const plain = encodeAggregateRelease({ metadata: meta(), update: Float32Array.of(1) });
    expect(decodeSafetensors(plain).metadata.formatVersion).toBe('1');
    expect(decodeAggregateRelease(plain).counts).toBeUndefined();
  });

  it('refuses counts without metadata, metadata without counts, and a length mismatch', () => {
    const counts = { impressions: Float32Array.of(1, 2, 3), clicks: Float32Array.of(0, 1, 0) };
    expectCode(
      () => encodeAggregateRelease({ metadata: meta(), update: Float32Array.of(1), counts }),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        encodeAggregateRelease({
          metadata: meta({ counts: countsMeta }),
          update: Float32Array.of(1),
        }),
      'BAD_HEADER',
    );
    expectCode(
      () =>
        encodeAggregateRelease({
          metadata: meta({ counts: { ...countsMeta, adCount: 4 } }),
          update: Float32Array.of(1),
          counts,
        }),
      'DIM_MISMATCH',
    );
  });

  it('never throws anything but a ProtocolError on mutated version 2 releases', () => {
    const bytes = encodeAggregateRelease({
      metadata: meta({ counts: countsMeta }),
      update: Float32Array.of(1, 2),
      counts: { impressions: Float32Array.of(1, 2, 3), clicks: Float32Array.of(0, 1, 0) },
    });
    fc.assert(
      fc.property(mutationArbitrary(bytes.length), (mutate) => {
        expectCleanOutcome(decodeAggregateRelease, mutate(bytes), RELEASE_CODES);
      }),
    );
  });
});
