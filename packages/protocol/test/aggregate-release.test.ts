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
    expectCode(() => st({ update: f32 }, { ...good, formatVersion: '2' }), 'UNSUPPORTED_VERSION');
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
