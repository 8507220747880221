import { describe, expect, it } from 'vitest';
import { CpuEngine, scaledRowScores } from '../src/engines/cpu-engine.js';
import { engineConformanceCases, fixture, query } from './engine-conformance.js';

describe('CPU engine conformance', () => {
  for (const testCase of engineConformanceCases()) {
    it(testCase.name, async () => {
      const engine = new CpuEngine();
      try {
        await testCase.run(engine);
      } finally {
        engine.dispose();
      }
    });
  }

  it('refuses to score before a catalog is loaded', async () => {
    await expect(new CpuEngine().scoreAll(new Float32Array(4))).rejects.toThrow(/no catalog/);
  });
});

describe('CPU engine data layouts', () => {
  // The catalog's int8 section sits anywhere in the downloaded bundle: the four-bytes-at-a-time
  // path must not depend on its alignment, and odd dimensions take the byte-wise path.
  it.each([
    { name: 'unaligned rows, dim 64', offset: 1, dim: 64 },
    { name: 'aligned rows, dim 64', offset: 0, dim: 64 },
    { name: 'dim 6 (not a multiple of 4)', offset: 0, dim: 6 },
  ])('scores match the byte-wise dot product: $name', async ({ offset, dim }) => {
    const { matrix } = fixture(50, dim, 11);
    const shifted = new Int8Array(matrix.data.length + offset);
    shifted.set(matrix.data, offset);
    const data = shifted.subarray(offset);
    const engine = new CpuEngine();
    await engine.load({ ...matrix, version: `shifted-${offset}`, data });
    const q = query(dim, 12);
    const scores = await engine.scoreAll(q);
    for (let i = 0; i < matrix.rows; i++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += (data[i * dim + j] as number) * (q[j] as number);
      expect(scores[i]).toBeCloseTo((matrix.scales[i] as number) * dot, 5);
    }
    expect(Array.from((await engine.topK(q, 5)).indices)).toEqual(
      Array.from(scores.keys())
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, 5),
    );
  });
});

describe('exact re-rank scores', () => {
  // The PQ path, the WebAssembly engine's re-rank and exploration picks score chosen rows with
  // scaledRowScores: an ad must get the very score the full scan gives it, whichever path ranks.
  it.each([64, 6])(
    'are bit-equal to the scan, with or without packed words (dim %i)',
    async (dim) => {
      const { matrix } = fixture(300, dim, 5);
      const engine = new CpuEngine();
      await engine.load(matrix);
      const q = query(dim, 6);
      const scan = await engine.scoreAll(q);
      const rows = Int32Array.from({ length: 120 }, (_, r) => (r * 7919) % matrix.rows);
      const expected = Array.from(rows, (i) => scan[i]);
      expect(Array.from(scaledRowScores(matrix, q, rows))).toEqual(expected);
      expect(Array.from(engine.scoreRows(q, rows))).toEqual(expected);
    },
  );
});
