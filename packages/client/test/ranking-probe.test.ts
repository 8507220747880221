/**
 * The ranking-path probe on a clock the test drives: every source's `topK` advances it by a cost the
 * test sets, so what is measured, extrapolated and decided is exact (no real timing in tests).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuantizedMatrix, ScoringEngine, TopK } from '../src/engines/engine.js';
import { medianTopKMs } from '../src/engines/median-time.js';
import {
  EXACT_PROBE_ROWS,
  INDEX_MIN_SPEEDUP,
  indexIsFaster,
  PROBE_QUERIES,
  probeQueries,
  timeRankingPaths,
} from '../src/worker/ranking-probe.js';

/** A clock that only moves when a source says a query cost something. */
class TestClock {
  now = 0;
  readonly elapsed = (): number => this.now;
}

const noResult: TopK = { indices: new Int32Array(0), scores: new Float32Array(0) };

/** A source whose queries cost `costs[i]` ms in turn (the last one repeating). */
function sourceCosting(clock: TestClock, ...costs: number[]) {
  let call = 0;
  return {
    queries: [] as Float32Array[],
    async topK(query: Float32Array): Promise<TopK> {
      this.queries.push(query);
      clock.now += costs[Math.min(call++, costs.length - 1)] as number;
      return noResult;
    },
  };
}

/** An exact engine whose query costs `fixedMs + perRowMs · rows loaded`. */
class LinearEngine implements ScoringEngine {
  readonly name = 'linear';
  readonly loads: number[] = [];
  #matrix: QuantizedMatrix | undefined;
  constructor(
    readonly clock: TestClock,
    readonly fixedMs: number,
    readonly perRowMs: number,
  ) {}
  get loadedVersion(): string | undefined {
    return this.#matrix?.version;
  }
  async load(matrix: QuantizedMatrix): Promise<void> {
    this.#matrix = matrix;
    this.loads.push(matrix.rows);
  }
  async scoreAll(): Promise<Float32Array> {
    return new Float32Array(this.#matrix?.rows ?? 0);
  }
  async topK(): Promise<TopK> {
    this.clock.now += this.fixedMs + this.perRowMs * (this.#matrix?.rows ?? 0);
    return noResult;
  }
  dispose(): void {
    this.#matrix = undefined;
  }
}

/** A catalog of `rows` one-dimensional rows (row i holds i mod 100, scale 1/2). */
function catalogOf(rows: number, dim = 1): QuantizedMatrix {
  return {
    version: 'catalog-7',
    rows,
    dim,
    data: Int8Array.from({ length: rows * dim }, (_, i) => Math.floor(i / dim) % 100),
    scales: new Float32Array(rows).fill(0.5),
  };
}

describe('probeQueries', () => {
  it('takes rows spread evenly through the catalog, dequantised', () => {
    const queries = probeQueries(catalogOf(70, 2));
    expect(queries).toHaveLength(PROBE_QUERIES);
    // Rows 5, 15, …, 65: the middle of each seventh.
    expect(queries.map((q) => Array.from(q))).toEqual(
      [5, 15, 25, 35, 45, 55, 65].map((row) => [row / 2, row / 2]),
    );
  });

  it('takes every row of a catalog smaller than the probe, and nothing of an empty one', () => {
    expect(probeQueries(catalogOf(3)).map((q) => q[0])).toEqual([0, 0.5, 1]);
    expect(probeQueries(catalogOf(0))).toEqual([]);
  });
});

describe('medianTopKMs', () => {
  it('does not time the first call, and one slow query does not decide', async () => {
    const clock = new TestClock();
    const queries = probeQueries(catalogOf(50));
    // Untimed warm-up of 100 ms, then one preempted query among the timed ones.
    const source = sourceCosting(clock, 100, 2, 2, 90, 3, 2, 3, 2);
    expect(await medianTopKMs(source, queries, 10, clock.elapsed)).toBe(2);
    expect(source.queries).toEqual([queries[0], ...queries]);
  });

  it('is 0 without queries', async () => {
    expect(await medianTopKMs(sourceCosting(new TestClock(), 1), [])).toBe(0);
  });
});

describe('timeRankingPaths', () => {
  it('times the exact engine on the whole catalog up to EXACT_PROBE_ROWS, and leaves it loaded', async () => {
    const clock = new TestClock();
    const matrix = catalogOf(1000);
    const engine = new LinearEngine(clock, 0.5, 0.001);
    const timings = await timeRankingPaths(sourceCosting(clock, 4), engine, matrix, clock.elapsed);
    expect(timings).toEqual({ indexMs: 4, exactMs: 1.5 });
    expect(engine.loads).toEqual([1000]);
    expect(engine.loadedVersion).toBe(matrix.version);
  });

  it('extrapolates a larger catalog from two prefixes, never loading every row', async () => {
    const clock = new TestClock();
    const rows = EXACT_PROBE_ROWS * 4;
    const engine = new LinearEngine(clock, 2, 1e-5);
    const timings = await timeRankingPaths(
      sourceCosting(clock, 3),
      engine,
      catalogOf(rows),
      clock.elapsed,
    );
    expect(engine.loads).toEqual([EXACT_PROBE_ROWS / 2, EXACT_PROBE_ROWS]);
    expect(engine.loadedVersion).not.toBe('catalog-7');
    expect(timings.indexMs).toBe(3);
    expect(timings.exactMs).toBeCloseTo(2 + 1e-5 * rows, 9);
  });

  it('takes a fixed cost for what it is: noise that makes the slope negative adds nothing per row', async () => {
    const clock = new TestClock();
    // Timed on the half prefix first (warm-up and 7 queries at 5 ms), then on the full one at 4 ms.
    const engine = sourceCosting(clock, ...new Array<number>(8).fill(5), 4);
    const loads: number[] = [];
    const timings = await timeRankingPaths(
      sourceCosting(clock, 1),
      {
        ...engine,
        name: 'noisy',
        loadedVersion: undefined,
        load: async (m) => void loads.push(m.rows),
        scoreAll: async () => new Float32Array(0),
        dispose: () => {},
      },
      catalogOf(EXACT_PROBE_ROWS * 3),
      clock.elapsed,
    );
    expect(loads).toEqual([EXACT_PROBE_ROWS / 2, EXACT_PROBE_ROWS]);
    expect(timings).toEqual({ indexMs: 1, exactMs: 4 });
  });

  it('recovers any linear cost exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 1e-4, noNaN: true }),
        fc.integer({ min: 1, max: 2_000_000 }),
        async (fixedMs, perRowMs, rows) => {
          const clock = new TestClock();
          const matrix: QuantizedMatrix = {
            version: 'v',
            rows,
            dim: 1,
            // Only the probe's query rows are read: a view of the right length is enough.
            data: new Int8Array(rows),
            scales: new Float32Array(rows),
          };
          const engine = new LinearEngine(clock, fixedMs, perRowMs);
          const { exactMs } = await timeRankingPaths(
            sourceCosting(clock, 1),
            engine,
            matrix,
            clock.elapsed,
          );
          const expected = fixedMs + perRowMs * rows;
          expect(Math.abs(exactMs - expected)).toBeLessThanOrEqual(1e-6 * (1 + expected));
          expect(Math.max(...engine.loads)).toBeLessThanOrEqual(EXACT_PROBE_ROWS);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('indexIsFaster', () => {
  it(`wants the index ${INDEX_MIN_SPEEDUP}× faster, as its answer is approximate`, () => {
    expect(indexIsFaster({ indexMs: 2, exactMs: 2 * INDEX_MIN_SPEEDUP + 0.01 })).toBe(true);
    expect(indexIsFaster({ indexMs: 2, exactMs: 2 * INDEX_MIN_SPEEDUP })).toBe(false);
    expect(indexIsFaster({ indexMs: 3, exactMs: 12 })).toBe(true);
    // Both under one tick of a coarse clock: nothing says the index is faster.
    expect(indexIsFaster({ indexMs: 0, exactMs: 0 })).toBe(false);
  });
});
