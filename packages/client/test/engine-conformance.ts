/**
 * The one conformance suite every scoring engine passes, against the f64 reference scorer of
 * `@privads/model`. Framework-free so that it runs in Vitest (CPU engine, Node) and in a Chromium
 * page (WebGPU engine on SwiftShader, CPU engine) alike: each case throws on failure.
 */
import { referenceScores, referenceTopK, seededUniforms } from '@privads/model';
import { dequantizeRowsInt8, quantizeRowsInt8 } from '@privads/protocol';
import type { QuantizedMatrix, ScoringEngine } from '../src/engines/engine.js';
import { unitRowMatrix } from '../src/engines/unit-rows.js';

/** Largest |engine − reference| accepted for a score (f32 accumulation of int8 × f32 products). */
export const SCORE_TOLERANCE = 1e-5;

/** One named check. */
export interface ConformanceCase {
  readonly name: string;
  run(engine: ScoringEngine): Promise<void>;
}

/** A test catalog and the float64 view the reference scores. */
interface Fixture {
  readonly matrix: QuantizedMatrix;
  /** Dequantised rows (what the engine actually holds). */
  readonly dequantized: Float32Array;
}

function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Error(message());
}

/** @returns `rows` seeded random unit vectors of length `dim`, row-major */
export function unitRows(rows: number, dim: number, seed: number): Float32Array {
  const values = seededUniforms(rows * dim, seed);
  for (let i = 0; i < rows; i++) {
    const row = values.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row);
    for (let j = 0; j < dim; j++) row[j] = (row[j] as number) / norm;
  }
  return values;
}

/**
 * Builds a quantised catalog of unit rows (row 0 all zeros, to pin down the zero-row rule).
 * @param rows - row count
 * @param dim - dimension
 * @param seed - PRNG seed
 * @returns the engine matrix and its dequantised rows
 */
export function fixture(rows: number, dim: number, seed: number): Fixture {
  const values = unitRows(rows, dim, seed);
  if (rows > 0) values.fill(0, 0, dim);
  const q = quantizeRowsInt8(values, dim);
  const matrix = unitRowMatrix(`fixture-${rows}x${dim}-${seed}`, rows, dim, q.values, q.scales);
  const dequantized = dequantizeRowsInt8({ values: q.values, scales: matrix.scales }, dim);
  return { matrix, dequantized };
}

/** @returns a unit query vector */
export function query(dim: number, seed: number): Float32Array {
  return unitRows(1, dim, seed);
}

async function expectScores(engine: ScoringEngine, f: Fixture, q: Float32Array): Promise<void> {
  const { rows, dim } = f.matrix;
  const got = await engine.scoreAll(q);
  const want = referenceScores(q, f.dequantized, rows, dim);
  check(got.length === rows, () => `expected ${rows} scores, got ${got.length}`);
  for (let i = 0; i < rows; i++) {
    const diff = Math.abs((got[i] as number) - (want[i] as number));
    check(
      diff <= SCORE_TOLERANCE,
      () => `row ${i}: engine ${got[i]}, reference ${want[i]} (|Δ| = ${diff})`,
    );
  }
}

async function expectTopK(
  engine: ScoringEngine,
  f: Fixture,
  q: Float32Array,
  k: number,
): Promise<void> {
  const { rows, dim } = f.matrix;
  const want = referenceScores(q, f.dequantized, rows, dim);
  const wantTop = referenceTopK(want, k);
  const got = await engine.topK(q, k);
  check(
    got.indices.length === wantTop.length,
    () => `k=${k}: expected ${wantTop.length} results, got ${got.indices.length}`,
  );
  for (let r = 0; r < wantTop.length; r++) {
    const gotIndex = got.indices[r] as number;
    const wantIndex = wantTop[r] as number;
    // Rank r must hold the reference's r-th score; a different index only where scores tie.
    const gap = Math.abs((want[gotIndex] as number) - (want[wantIndex] as number));
    check(
      gotIndex === wantIndex || gap <= 2 * SCORE_TOLERANCE,
      () =>
        `k=${k} rank ${r}: engine row ${gotIndex} (${want[gotIndex]}), reference row ${wantIndex} (${want[wantIndex]})`,
    );
    check(
      Math.abs((got.scores[r] as number) - (want[gotIndex] as number)) <= SCORE_TOLERANCE,
      () =>
        `k=${k} rank ${r}: reported score ${got.scores[r]} for row ${gotIndex}, reference ${want[gotIndex]}`,
    );
  }
}

/** @returns every case of the suite */
export function engineConformanceCases(): ConformanceCase[] {
  return [
    {
      name: 'scores a 1000×128 catalog like the reference scorer',
      async run(engine) {
        const f = fixture(1000, 128, 1);
        await engine.load(f.matrix);
        for (const seed of [10, 11, 12]) await expectScores(engine, f, query(128, seed));
      },
    },
    {
      name: 'returns the reference top K, best first, for K = 1, 10, 100',
      async run(engine) {
        const f = fixture(2000, 128, 2);
        await engine.load(f.matrix);
        for (const k of [1, 10, 100]) await expectTopK(engine, f, query(128, 20 + k), k);
      },
    },
    {
      name: 'handles odd dimensions and row counts (131×37)',
      async run(engine) {
        const f = fixture(131, 37, 3);
        await engine.load(f.matrix);
        await expectScores(engine, f, query(37, 30));
        await expectTopK(engine, f, query(37, 31), 7);
      },
    },
    {
      name: 'clamps K to the catalog and accepts K = 0',
      async run(engine) {
        const f = fixture(5, 16, 4);
        await engine.load(f.matrix);
        await expectTopK(engine, f, query(16, 40), 50);
        const none = await engine.topK(query(16, 41), 0);
        check(none.indices.length === 0, () => `K=0 returned ${none.indices.length} results`);
      },
    },
    {
      name: 'scores an empty catalog as empty',
      async run(engine) {
        const f = fixture(0, 8, 5);
        await engine.load(f.matrix);
        check((await engine.scoreAll(query(8, 50))).length === 0, () => 'expected no scores');
        check(
          (await engine.topK(query(8, 51), 3)).indices.length === 0,
          () => 'expected no results',
        );
      },
    },
    {
      name: 'a zero query scores every row 0',
      async run(engine) {
        const f = fixture(64, 32, 6);
        await engine.load(f.matrix);
        await expectScores(engine, f, new Float32Array(32));
      },
    },
    {
      name: 'loading a new version replaces the old one; reloading the same version keeps it',
      async run(engine) {
        const a = fixture(300, 64, 7);
        const b = fixture(200, 64, 8);
        await engine.load(a.matrix);
        await engine.load(b.matrix);
        check(
          engine.loadedVersion === b.matrix.version,
          () => `loadedVersion ${engine.loadedVersion}`,
        );
        await expectScores(engine, b, query(64, 70));
        await engine.load(b.matrix);
        await expectScores(engine, b, query(64, 71));
      },
    },
    {
      name: 'rejects a query of the wrong length',
      async run(engine) {
        await engine.load(fixture(10, 16, 9).matrix);
        let threw: unknown;
        try {
          await engine.scoreAll(new Float32Array(15));
        } catch (error) {
          threw = error;
        }
        check(threw instanceof RangeError, () => `expected a RangeError, got ${String(threw)}`);
      },
    },
  ];
}
